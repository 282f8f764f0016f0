import { z } from 'zod';
import { variantRoutesSchema, weightsSchema } from '../db/routing-weights.js';
import { defined } from '../platform/defined.js';

// The router's API: these schemas validate requests and answers (fastify-type-provider-zod) and are the OpenAPI
// document served at /openapi.json (src/router/openapi.ts), so the two cannot drift apart.

// PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps such a row from ever being accepted. A
// pattern rather than a refinement, so the OpenAPI document says it too.
// eslint-disable-next-line no-control-regex -- NUL is exactly what it refuses
const noNul = z.string().regex(/^[^\u0000]*$/, 'must not contain NUL (U+0000) characters');
const text = (max: number) => noNul.min(1).max(max);

/** Any JSON value PostgreSQL's jsonb can hold: no NUL in any string or key, however deep (recursive, so the document states it too). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const jsonValueSchema: z.ZodType<JsonValue> = z
  .lazy(() => z.union([noNul, z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(noNul, jsonValueSchema)]))
  // A named component: the document refers to it, recursively.
  .meta({ id: 'JsonValue' });
export const jsonObjectSchema = z.record(noNul, jsonValueSchema);

export const inferBodySchema = z
  .strictObject({
    modelId: z.string().min(1).max(63).describe('The model to route to (`GET /v1/models` lists them).'),
    input: z.strictObject({ text: text(10_000) }),
    userKey: text(256).optional().describe('Routes this user to the same variant on every call while the routes hold.'),
  })
  .meta({ examples: [{ modelId: 'reference', input: { text: 'Expose CRUD endpoints for the invoice resource' }, userKey: 'user-42' }] });

/**
 * A number stored in a PostgreSQL `real` column: rounded to single precision here, so that a value too small for it
 * is stored as 0 instead of the database refusing the row (bounds keep it below real's largest).
 */
const real = (schema: z.ZodNumber) => schema.transform((x) => Math.fround(x));

export const feedbackBodySchema = z.strictObject({
  requestId: z.uuid().describe('The `requestId` an inference answered with.'),
  testPassRate: real(z.number().min(0).max(1)),
  // The variance of pass rates (each in [0, 1]) across implementations: at most 0.25.
  implementationVariance: real(z.number().min(0).max(1)),
  latencyMs: real(z.number().min(0).max(86_400_000)).optional().describe("The client's own latency, in ms (at most a day)."),
  error: text(10_000).optional(),
});

/** Per-version weights, or variants: versions each with the context it is served with (an A/B test of contexts). */
export const routesBodySchema = z
  .strictObject({
    weights: weightsSchema.optional().describe('Percent per version, summing to 100: `{"v1": 90, "v2": 10}`.'),
    routes: variantRoutesSchema.optional().describe('Variants (a version, optionally with a context version), percents summing to 100.'),
  })
  .refine((b) => (b.weights === undefined) !== (b.routes === undefined), {
    path: ['weights'],
    error: 'give either weights ({"v1": 90, "v2": 10}) or routes ([{"version", "contextId", "contextVersion", "percent"}])',
  })
  .describe('Exactly one of `weights` and `routes`.')
  .meta({ examples: [{ weights: { v1: 90, v2: 10 } }, { routes: [{ version: 'v1', percent: 100 }] }] });

export const modelIdParams = z.strictObject({
  modelId: z
    .string()
    .min(1)
    .max(63)
    .meta({ examples: ['reference'] }),
});

const prediction = z.strictObject({
  label: z.string(),
  confidence: z.number(),
  probabilities: z.array(z.number()),
});

const served = {
  requestId: z.uuid(),
  modelId: z.string(),
  version: z.string(),
  contextId: z.string().nullable(),
  contextVersion: z.number().int().nullable(),
};

export const inferResponseSchema = z
  .strictObject({ ...served, output: prediction, latencyMs: z.number() })
  .describe('The serving variant and its answer; the request is logged with `requestId`.');

export const modelFailureSchema = z
  .strictObject({ ...served, error: z.string() })
  .describe('The serving model version failed on this input (stored with its error and counted per version).');

export const feedbackResponseSchema = z
  .strictObject({ requestId: z.uuid(), modelId: z.string(), version: z.string() })
  .describe('Committed: stored against the version that served the request (a second feedback for it is ignored).');

const variantRoute = z.strictObject({
  version: z.string(),
  contextId: z.string().nullable(),
  contextVersion: z.number().int().nullable(),
  percent: z.number(),
});

export const routesResponseSchema = z
  .strictObject({ modelId: z.string(), weights: z.record(z.string(), z.number()), routes: z.array(variantRoute) })
  .describe("The model's routes: each version's total share, and each variant's.");

export const modelsResponseSchema = z
  .strictObject({
    models: z.array(
      z.strictObject({
        modelId: z.string(),
        versions: z.array(
          z.strictObject({ version: z.string(), status: z.string(), sha256: z.string(), createdAt: z.iso.datetime({ offset: true }) }),
        ),
        weights: z.record(z.string(), z.number()),
      }),
    ),
  })
  .describe('Registered models, their versions and routing weights.');

export const healthResponseSchema = z
  .strictObject({ ok: z.literal(true), bufferedRows: z.number().int().min(0) })
  .describe('Serving; `bufferedRows`: request rows not yet written to PostgreSQL.');

/** Every error answer: `error` names the field or says what to do. */
export const errorSchema = z.strictObject({ error: z.string() });

const errorDescriptions = {
  400: 'The body or a path parameter is invalid; `error` names the field: `"input.text: Too small: expected string to have >=1 characters"`.',
  401: 'The bearer token is missing or wrong (every route but /healthz and the API description needs it when LEARNLOOP_API_TOKEN is set).',
  403: 'Route changes over HTTP need LEARNLOOP_API_TOKEN to be configured.',
  404: 'No such model, request, application or route.',
  405: 'The path exists, not with this method: `Allow` lists those it takes.',
  413: 'The body is larger than the route accepts (ROUTER_MAX_BODY_KB).',
  415: 'The content type is not one the route reads (JSON: application/json).',
  422: 'The database refused the row on its own merits (e.g. its request was refused); resending will not help.',
  502: 'The serving model failed on this input.',
  503: 'Not now: the database is unavailable or slow, or the row buffer is full. Retry after `Retry-After` seconds.',
} as const;
export type ErrorStatus = keyof typeof errorDescriptions;

/**
 * The error answers a route declares, each `{ error }` with its description (the document adds Retry-After to 503
 * and WWW-Authenticate to 401); 401 only when the router checks a token (`auth`).
 */
export function errorResponses<S extends ErrorStatus>(auth: boolean, ...statuses: S[]): Record<S, typeof errorSchema> {
  return Object.fromEntries(
    statuses.filter((s) => auth || s !== 401).map((s) => [s, errorSchema.describe(errorDescriptions[s])]),
  ) as Record<S, typeof errorSchema>;
}

/** "input.text: Too small: expected string to have >=1 characters": the first problem, naming the field. */
export function describeZodError(error: z.ZodError): string {
  const issue = defined(error.issues[0], 'the first schema issue');
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, defined(issue.keys[0], 'the first unrecognized key')] : issue.path;
  return `${path.length > 0 ? path.join('.') : 'body'}: ${issue.message}`;
}
