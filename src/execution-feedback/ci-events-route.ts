import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { SwaggerTransform } from '@fastify/swagger';
import { z } from 'zod';
import type { Pool } from '../db/pool.js';
import { contextExists } from '../db/contexts.js';
import { storeCiEvent, type CiEvent } from './ci-event-store.js';
import { ciEnvelopeSchema, feedbackFromEnvelope, feedbackFromFindings, feedbackFromTests } from './feedback.js';
import { parseJUnit } from './junit.js';
import { ReportError } from './report-error.js';
import { parseSarif } from './sarif.js';
import type { Logger } from '../log.js';
import { routeTransform } from '../router/openapi.js';
import { describeZodError, errorResponses } from '../router/schemas.js';
import { defined } from '../platform/defined.js';

export interface CiEventsRouteOptions {
  pool: Pool;
  logger: Logger;
  /**
   * Starts processing a stored event: the ciFeedback workflow with the event id as its workflow id, so a second
   * start for a redelivered event is refused by Temporal. Called again for a redelivery not yet processed.
   */
  dispatch: (eventId: string) => Promise<void>;
  /** Largest report accepted; bigger ones get 413 without their body being read. Default 10 MiB. */
  bodyLimitBytes?: number;
  /** Whether the router checks a bearer token (the route then declares 401). */
  auth?: boolean;
}

const ciEventResponseSchema = z
  .looseObject({ eventId: z.string(), duplicate: z.boolean(), kind: z.enum(['junit', 'sarif', 'envelope']), contextId: z.string() })
  .describe(
    'Stored (or already stored: `duplicate`) and its processing started, with what was read: JUnit `tests`, `passed`, `failed`, ' +
      '`skipped`; SARIF `findings`, `security`; the envelope `buildSuccess`, `qualityGatesPassed`.',
  );

const notDispatchedSchema = z
  .strictObject({ error: z.string(), eventId: z.string().optional() })
  .describe(
    'Not processed now: the database is unavailable, or the event was stored (`eventId`) but its processing could not be started. Redeliver it after `Retry-After` seconds.',
  );

/** The body is read as text (so errors name the format), which the document states per content type. */
const documentBody: SwaggerTransform = (arg) => {
  const transformed = routeTransform(arg);
  const envelope = z.toJSONSchema(ciEnvelopeSchema, { target: 'draft-2020-12', io: 'input' });
  delete envelope.$schema;
  const sarif = { type: 'object', required: ['version', 'runs'], properties: { version: { const: '2.1.0' }, runs: { type: 'array' } } };
  const junit = {
    type: 'string',
    description: 'A JUnit XML report (`<testsuites>` or `<testsuite>`).',
    examples: [
      '<testsuite name="cart" tests="2" failures="1"><testcase name="totals"/><testcase name="tax"><failure message="expected 8.25"/></testcase></testsuite>',
    ],
  };
  const envelopeExample = {
    contextId: 'checkout-service',
    task: 'Add a discount code to the cart',
    build: { success: true, errors: [] },
    qualityGates: { passed: false, violations: ['coverage below 80%'] },
  };
  return {
    ...transformed,
    schema: {
      ...transformed.schema,
      headers: {
        type: 'object',
        properties: {
          'x-learnloop-context-id': {
            type: 'string',
            minLength: 1,
            maxLength: 200,
            examples: ['checkout-service'],
            description: 'The context the report is about (required with JUnit and SARIF).',
          },
          'x-learnloop-task': {
            type: 'string',
            minLength: 1,
            maxLength: 10_000,
            examples: ['Add a discount code to the cart'],
            description: 'The task the job did (required with JUnit and SARIF).',
          },
          'x-learnloop-event-id': {
            type: 'string',
            minLength: 1,
            maxLength: 200,
            description: "The webhook's delivery id (default: the body's sha256).",
          },
        },
      },
      body: {
        content: {
          'application/json': { schema: { anyOf: [envelope, sarif], examples: [envelopeExample] } },
          'application/sarif+json': { schema: sarif },
          'application/xml': { schema: junit },
          'text/xml': { schema: junit },
        },
      },
    },
  };
};

const xmlTypes = ['application/xml', 'text/xml'];
const acceptedTypes = [...xmlTypes, 'application/json', 'application/sarif+json'];
const idHeader = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const textHeader = z.string().min(1).max(10_000);

class BadRequest extends Error {}

function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
  schema: z.ZodType<string>,
  requiredFor: string,
): string;
function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
  schema: z.ZodType<string>,
  requiredFor?: string,
): string | undefined;
function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
  schema: z.ZodType<string>,
  requiredFor?: string,
): string | undefined {
  const value = headers[name];
  if (value === undefined) {
    if (requiredFor) throw new BadRequest(`${name} header: required with ${requiredFor}`);
    return undefined;
  }
  const parsed = schema.safeParse(Array.isArray(value) ? value[0] : value);
  if (!parsed.success) throw new BadRequest(`${name} header: ${defined(parsed.error.issues[0], 'header issue').message}`);
  return parsed.data;
}

/** Whether a string anywhere in the value (or a key) holds U+0000, which PostgreSQL's text and jsonb cannot store. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v));
  return false;
}

function json(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new ReportError(`${what}: not JSON: ${(err as Error).message}`);
  }
}

/** What a body says, whatever its format: the event to store and a summary for the answer. */
function readEvent(
  contentType: string,
  body: string,
  headers: Record<string, string | string[] | undefined>,
): { event: Omit<CiEvent, 'eventId'>; summary: Record<string, unknown> } {
  const contextFrom = (format: string) => ({
    contextId: header(headers, 'x-learnloop-context-id', idHeader, format),
    task: header(headers, 'x-learnloop-task', textHeader, format),
  });
  if (xmlTypes.includes(contentType)) {
    const report = parseJUnit(body);
    return {
      event: { ...contextFrom('JUnit XML'), kind: 'junit', feedback: feedbackFromTests(report) },
      summary: { tests: report.tests, passed: report.passed, failed: report.failed, skipped: report.skipped },
    };
  }
  const doc = json(body, contentType === 'application/sarif+json' ? 'SARIF' : 'body');
  // application/json carries either a SARIF log (it names its version and runs) or the envelope.
  if (contentType === 'application/sarif+json' || (typeof doc === 'object' && doc !== null && 'runs' in doc)) {
    const findings = parseSarif(doc);
    return {
      event: { ...contextFrom('SARIF'), kind: 'sarif', feedback: feedbackFromFindings(findings) },
      summary: { findings: findings.length, security: findings.filter((f) => f.security).length },
    };
  }
  const parsed = ciEnvelopeSchema.safeParse(doc);
  if (!parsed.success) throw new BadRequest(describeZodError(parsed.error));
  const env = parsed.data;
  return {
    event: { contextId: env.contextId, task: env.task, kind: 'envelope', feedback: feedbackFromEnvelope(env) },
    summary: { buildSuccess: env.build.success, qualityGatesPassed: env.qualityGates.passed },
  };
}

/**
 * `POST /v1/ci-events`: JUnit XML (application/xml, text/xml), SARIF 2.1.0 (application/sarif+json, or
 * application/json with `runs`) and the JSON envelope (application/json). JUnit and SARIF name their context in the
 * x-learnloop-context-id and x-learnloop-task headers. The event id is x-learnloop-event-id, else the body's
 * sha256, so a redelivered webhook is stored and processed once. Answers 202 with what was read.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: avvio does not catch a synchronous throw, so setup errors must reject the plugin's promise, as async makes them
export const ciEventsRoutes: FastifyPluginAsync<CiEventsRouteOptions> = async (app: FastifyInstance, opts) => {
  const { pool, dispatch } = opts;
  const log = opts.logger.child({ component: 'ci-events' });
  const bodyLimit = opts.bodyLimitBytes ?? 10 * 1024 * 1024;

  // Every accepted type is read as a string under the route's body limit, and parsed here so errors name the format.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(acceptedTypes, { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });

  app.post(
    '/v1/ci-events',
    {
      bodyLimit,
      config: { swaggerTransform: documentBody },
      schema: {
        operationId: 'postCiEvent',
        summary: 'A CI report (JUnit XML, SARIF 2.1.0 or the JSON envelope) for a context',
        response: { 202: ciEventResponseSchema, 503: notDispatchedSchema, ...errorResponses(opts.auth ?? false, 400, 401, 404, 413, 415) },
      },
    },
    async (req, reply) => {
      const contentType = defined((req.headers['content-type'] ?? '').split(';')[0], 'media type')
        .trim()
        .toLowerCase();
      // Fastify's own text/plain parser would otherwise hand such a body over.
      if (!acceptedTypes.includes(contentType)) {
        return reply.code(415).send({ error: `content-type: expected one of ${acceptedTypes.join(', ')}` });
      }
      const body = req.body as string;
      let read;
      let eventId: string;
      try {
        // The headers the document describes are checked whenever sent, even with an envelope that does not need them.
        header(req.headers, 'x-learnloop-context-id', idHeader);
        header(req.headers, 'x-learnloop-task', textHeader);
        read = readEvent(contentType, body, req.headers);
        eventId = header(req.headers, 'x-learnloop-event-id', idHeader) ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
      } catch (err) {
        if (err instanceof ReportError || err instanceof BadRequest) return reply.code(400).send({ error: err.message });
        throw err;
      }
      // Refused here rather than by the database, which cannot store it (that would be a 500).
      if (holdsNul(read.event)) return reply.code(400).send({ error: 'body: must not contain NUL (U+0000) characters' });
      if (!(await contextExists(pool, read.event.contextId))) {
        return reply.code(404).send({ error: `contextId: unknown context ${read.event.contextId}` });
      }
      const { stored, status } = await storeCiEvent(pool, { eventId, ...read.event });
      if (status !== 'processed') {
        try {
          await dispatch(eventId);
        } catch (err) {
          log.warn({ eventId, err: (err as Error).message }, 'CI event stored but not dispatched');
          return reply
            .code(503)
            .header('retry-after', '5')
            .send({ error: 'the event was stored but its processing could not be started; redeliver it', eventId });
        }
      }
      log.info({ requestId: req.id, eventId, contextId: read.event.contextId, kind: read.event.kind, duplicate: !stored }, 'CI event');
      return reply.code(202).send({ eventId, duplicate: !stored, kind: read.event.kind, contextId: read.event.contextId, ...read.summary });
    },
  );
};
