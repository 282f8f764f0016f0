import type { Feature, Phrasing } from './task.js';

/** Placeholders: {e} the entity, {es} its plural, {E} capitalised, {n} a number, {needs} the joined fragments. */
export interface PhrasingFamily {
  /** Sentence frames around the joined need fragments. */
  frames: readonly string[];
  /** Between two fragments, and before the last one. */
  separator: string;
  finalSeparators: readonly string[];
  /** Each fragment says one needed feature; a requirement joins one per need, in random order. */
  fragments: Record<Feature, readonly string[]>;
}

export const entities = [
  'invoice',
  'customer',
  'order',
  'ticket',
  'article',
  'device',
  'shipment',
  'payment',
  'project',
  'report',
  'booking',
  'product',
  'contract',
  'course',
  'vehicle',
] as const;

export const numbers = [5, 10, 20, 25, 50, 100] as const;

export const phrasebook: Record<Phrasing, PhrasingFamily> = {
  standard: {
    frames: [
      'The {e} service must {needs}.',
      'Build an API to {needs}.',
      'We need a backend that can {needs}.',
      'Implement a {e} module to {needs}.',
      'Requirement: the {e} API shall {needs}.',
      'As a developer I need the system to {needs}.',
    ],
    separator: ', ',
    finalSeparators: [' and ', ', and '],
    fragments: {
      create: ['create new {es}', 'add a {e} with its details', 'register a new {e} through a POST endpoint'],
      read: ['fetch a single {e} by id', 'return the details of one {e}', 'read a {e} record by its key'],
      update: ['update an existing {e}', 'edit the fields of a {e}', 'change a {e} with a PUT request'],
      delete: ['delete a {e}', 'remove {es} that are no longer needed', 'erase a {e} permanently'],
      list: ['list all {es}', 'return the collection of {es}', 'show every {e} in a table'],
      credentials: ['sign users in with email and password', 'verify login credentials', 'let people log in with a username and password'],
      session: [
        'keep users signed in with a session cookie',
        'issue a session token after login',
        'expire idle sessions after {n} minutes',
      ],
      password_hash: ['store passwords hashed with bcrypt', 'never keep passwords in plain text', 'salt and hash user passwords'],
      page_size: ['return at most {n} {es} per page', 'accept a page size parameter', 'limit each response to {n} items'],
      cursor: [
        'include a next-page cursor in each response',
        'continue listing from an opaque cursor',
        'let clients request the following page',
      ],
      quota: [
        'allow each API key {n} requests per minute',
        'enforce a per-client request quota',
        'cap the number of calls a tenant may make',
      ],
      window: [
        'count requests in a sliding time window',
        'reset the request counter every minute',
        'track calls per client over a rolling window',
      ],
      throttle_response: [
        'answer HTTP 429 when a client is over its limit',
        'reject excess requests with a Retry-After header',
        'throttle callers who exceed the limit',
      ],
      multipart: ['accept multipart file uploads', 'let users upload a PDF for a {e}', 'receive attachments through a form upload'],
      storage: [
        'store uploaded files in object storage',
        'save attachments to S3 next to the {e}',
        'keep uploaded documents in a blob store',
      ],
      size_limit: ['reject files larger than {n} MB', 'enforce a maximum upload size', 'limit attachments to {n} MB each'],
      query: ['search {es} by keyword', 'run full-text search over {es}', 'find {es} matching a query string'],
      filters: ['filter {es} by status and date', 'narrow results with faceted filters', 'filter the {e} results by category'],
      event: ['emit an event whenever a {e} changes', 'record each {e} change as an event', 'publish {e} created and updated events'],
      retry: [
        'retry failures with exponential backoff',
        'retry a failed attempt up to {n} times',
        'try again automatically when an attempt fails',
      ],
      signature: [
        'POST signed webhook payloads to subscriber URLs',
        'sign each outgoing webhook with HMAC',
        'send callbacks to partner URLs with a signature header',
      ],
      ttl: [
        'cache {e} lookups for {n} minutes',
        'keep hot {es} in memory with a time-to-live',
        'serve repeated {e} reads from an expiring cache',
      ],
      invalidation: [
        'invalidate the cached {e} when it is updated',
        'evict stale cache entries on every write',
        'purge a {e} from the cache after a change',
      ],
      queue: [
        'push slow {e} work onto a background job queue',
        'process {e} tasks asynchronously with workers',
        'enqueue a job instead of blocking the request',
      ],
      schedule: [
        'run a {e} cleanup job every night',
        'schedule recurring jobs with a cron expression',
        'trigger a job at a configured time',
      ],
      append_only: [
        'keep an append-only audit log of {e} changes',
        'never modify or delete audit records',
        'write an immutable history of every {e} edit',
      ],
      actor: [
        'record which user made each change',
        'store who changed a {e} and when',
        'capture the acting user and IP address of every action',
      ],
    },
  },
  drifted: {
    frames: [
      'Feedback from the {e} team: {needs}.',
      'Support ticket about {es}: {needs}.',
      '{E} wishlist: {needs}.',
      'Pain point: {needs}.',
      'From the last retro, {needs}.',
      'Customers keep saying {needs}.',
    ],
    separator: '; ',
    finalSeparators: ['; also ', '; and ', ', plus '],
    fragments: {
      create: ["staff can't enter fresh {es} yet", 'new {es} have to get in somehow', 'people want to start a {e} from scratch'],
      read: [
        'opening one {e} to look at it should work',
        'someone needs to pull up a particular {e}',
        'looking at a single {e} is missing',
      ],
      update: ['fixing a typo in a {e} is impossible today', '{es} need tweaking after the fact', 'folks want to correct a {e} later'],
      delete: ['junk {es} should be gone for good', "there's no way to get rid of a {e}", 'old {es} must disappear on request'],
      list: ['everyone wants to see all the {es} at once', 'an overview of every {e} is needed', 'show me the whole set of {es}'],
      credentials: [
        "strangers shouldn't get in without proving who they are",
        'the back office opens for anyone who finds the link',
        "we have to know it's really Maria before showing her {es}",
      ],
      session: [
        'people hate identifying themselves again on every click',
        'the front desk tablet should stay on the clerk all shift',
        'once in, people stay in until they walk away',
      ],
      password_hash: [
        'if the database leaks, secrets must stay unreadable',
        "nobody on staff should ever read someone's secret word",
        'a breach must not expose what people typed to get in',
      ],
      page_size: [
        'the {e} screen shows way too many rows at once',
        'only a handful of {es} fit on a phone screen',
        '{n} {es} at a time is plenty',
      ],
      cursor: [
        'people keep scrolling to load more {es}',
        'pick up where the previous batch of {es} stopped',
        'an endless feed of {es} that loads as you go',
      ],
      quota: [
        'some tenants hammer us and must be capped',
        'every partner gets a fair share and no more',
        'heavy users need a ceiling on their usage',
      ],
      window: ['the allowance refills every minute', 'usage counts per short time span', 'bursts are measured over the last little while'],
      throttle_response: [
        'noisy clients should be told to back off and come back later',
        'too-eager callers get turned away politely',
        'slow down anyone going over the top',
      ],
      multipart: [
        'customers email us photos to add to their {e} by hand',
        'drag a document onto a {e}',
        'a {e} needs room for photos and PDFs',
      ],
      storage: [
        'the attached papers must be kept somewhere durable',
        'scans should survive server restarts',
        'documents live somewhere cheap and safe',
      ],
      size_limit: ['giant videos must not fill the disk', 'anything over {n} MB is too much', 'huge attachments should bounce'],
      query: [
        'finding the right {e} among thousands takes forever',
        'type a few words and get the matching {es}',
        'people hunt for {es} by what they remember',
      ],
      filters: ['narrow the {es} down by a few criteria', 'only show the open {es} from last month', 'slice {es} by category'],
      event: [
        'something should happen every time a {e} moves',
        'finance only hears about a changed {e} days later',
        'changes to a {e} are worth announcing',
      ],
      retry: [
        'if the other side is down, try again later',
        'a hiccup must not lose anything, keep trying',
        'temporary failures get another go',
      ],
      signature: [
        'partners must trust that our pings about {es} really come from us',
        'tell other systems about {e} updates in a way they can verify',
        'integrators get notified and can check the message is genuine',
      ],
      ttl: [
        '{e} pages are slow, keep recent answers around for a while',
        "don't recompute {e} details on every visit",
        'remember {e} answers briefly',
      ],
      invalidation: [
        'after an edit nobody should see the stale {e}',
        'outdated {e} copies must not linger',
        'changes to a {e} show up right away',
      ],
      queue: [
        "heavy {e} work shouldn't make people wait",
        'crunch the {e} stuff behind the scenes',
        'hand long {e} chores to something in the back',
      ],
      schedule: ['every night the {e} cleanup has to happen', 'some {e} chores repeat each Monday', 'things must kick off at set times'],
      append_only: [
        "auditors caught someone quietly editing last year's {es}",
        'compliance wants a record nobody can tamper with',
        'past {e} actions stay exactly as they were',
      ],
      actor: [
        'a {e} changed overnight and nobody knows which colleague did it',
        'blame has to be traceable to a person',
        'every action should name the person behind it',
      ],
    },
  },
};
