import { pick, seededRandom } from './random.js';
import { templateNames, templates, type Requirement, type TemplateName } from './task.js';

export type Phrasing = 'standard' | 'drifted';

const entities = ['invoice', 'customer', 'order', 'ticket', 'article', 'device', 'shipment', 'payment', 'project', 'report'];

/**
 * How each template's need is said. `drifted` is how users start phrasing the same needs later (terser, other
 * vocabulary), so a model trained on `standard` loses accuracy on it: the drift retraining has to catch.
 */
const phrasings: Record<Phrasing, Record<TemplateName, readonly string[]>> = {
  standard: {
    rest_crud: ['Build an API to create, read, update and delete {e} records', 'Users must manage {e}s: add, edit, remove and view them', 'Expose CRUD endpoints for the {e} resource'],
    auth_login: ['Users log in with email and password to access their {e}s', 'Add a sign-in form with a session cookie for the {e} portal', 'Authenticate users with hashed passwords before showing {e} data'],
    pagination: ['Return {e}s page by page with a page size parameter', 'The {e} list must be paginated with a next-page cursor', 'Split the {e} listing into pages of at most 50 items'],
    rate_limiting: ['Limit each client to 100 {e} requests per minute', 'Throttle callers who exceed their {e} API quota with HTTP 429', 'Protect the {e} endpoint from abuse with per-key request limits'],
    file_upload: ['Let users upload a PDF attached to each {e}', 'Accept multipart file uploads for {e} documents up to 10 MB', 'Store images uploaded for a {e} in object storage'],
    search_filter: ['Search {e}s by keyword and filter them by status', 'Users find {e}s with a query box and date filters', 'Add full-text search over {e}s with faceted filters'],
    webhook_delivery: ['Notify partner systems with a signed webhook when a {e} changes', 'Send an HTTP callback for every {e} event and retry failures', 'Deliver {e} events to subscriber URLs with HMAC signatures'],
    caching: ['Cache {e} lookups for five minutes to cut database load', 'Serve frequently read {e}s from a cache and invalidate on update', 'Keep hot {e} data in memory with a time-to-live'],
  },
  drifted: {
    rest_crud: ['{e} admin: full lifecycle mgmt', 'need to add/change/drop {e}s via the service', 'maintain {e} entries end to end through HTTP verbs'],
    auth_login: ['gate the {e} area behind an account', 'only known people should get into {e} pages', 'identity check before {e} access, remember me'],
    pagination: ['too many {e}s on one screen, chunk them', '{e} feed should load incrementally', 'browse {e}s a slice at a time'],
    rate_limiting: ['some tenants hammer the {e} service, cap them', 'fair use policy for the {e} api', 'slow down noisy {e} clients automatically'],
    file_upload: ['attach scans to a {e}', 'people drop documents onto a {e}', '{e} needs a place for attachments'],
    search_filter: ['find the right {e} quickly among thousands', 'narrow down {e}s by a few criteria', 'lookup box for {e}s plus facets'],
    webhook_delivery: ['tell other systems when a {e} moves', 'push {e} updates out to integrators', 'outbound notifications on {e} state change'],
    caching: ['{e} reads are slow, keep recent ones around', 'avoid recomputing {e} details every time', 'remember {e} answers for a short while'],
  },
};

export interface GenerateOptions {
  seed: number;
  count: number;
  phrasing?: Phrasing;
}

export function generateRequirements({ seed, count, phrasing = 'standard' }: GenerateOptions): Requirement[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const template = pick(rand, templateNames);
    const text = pick(rand, phrasings[phrasing][template]).replaceAll('{e}', pick(rand, entities));
    return { text, template, needs: templates[template] };
  });
}
