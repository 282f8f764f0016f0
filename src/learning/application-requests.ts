import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { insertOutcomes, type ServedOutcome } from '../db/learning.js';
import type { Pool } from '../db/pool.js';
import type { Application } from './application.js';
import type { RequirementsDocument } from './requirements.js';
import { readRequirements } from './requirements-store.js';
import type { Logger } from '../log.js';
import type { ApplicationTable } from '../router/application-table.js';
import type { RouterMetrics } from '../router/metrics.js';
import { errorResponses, jsonObjectSchema } from '../router/schemas.js';
import { VersionedCache } from '../router/versioned-cache.js';
import { defined } from '../platform/defined.js';

export interface ApplicationRequestsOptions {
  pool: Pool;
  /** The applications this deployment can serve (their implementations): the entry point passes them in. */
  catalog: readonly Application[];
  applications: ApplicationTable;
  metrics: RouterMetrics;
  logger: Logger;
  /** Whether the router checks a bearer token (the routes then declare 401). */
  auth?: boolean;
}

/** Most requests one call may carry (a monitoring window's worth, with room). */
export const MAX_INSTANCES = 1_000;

const instanceSchema = z.strictObject({
  // PostgreSQL jsonb cannot hold U+0000: refused here rather than failing the whole batch's insert.
  input: jsonObjectSchema,
  userKey: z.string().min(1).max(256).optional(),
  /** A client's own id makes a resent request idempotent: stored once, answered alike. */
  requestId: z.uuid().optional(),
});

/** KServe-style batch: `{ instances: [...] }` in, `{ predictions: [...] }` out, one per instance in order. */
export const applicationRequestsBodySchema = z.strictObject({
  instances: z
    .array(instanceSchema)
    .min(1, 'must hold at least one request')
    .max(MAX_INSTANCES, `must hold at most ${MAX_INSTANCES} requests`),
});

const applicationParams = z.strictObject({ application: z.string().min(1).max(200) });

const applicationsResponseSchema = z
  .strictObject({
    applications: z.array(
      z.strictObject({
        application: z.string(),
        routes: z.array(
          z.strictObject({
            variant: z.string(),
            percent: z.number(),
            baseline: z.boolean(),
            requirementsVersion: z.number().int(),
            cycleId: z.string(),
          }),
        ),
      }),
    ),
  })
  .describe("The applications deployed behind this router: each variant's live share, baseline, requirements version and cycle.");

const predictResponseSchema = z
  .strictObject({
    application: z.string(),
    predictions: z.array(
      z.strictObject({
        requestId: z.uuid(),
        variant: z.string(),
        status: z.enum(['ok', 'handled_error', 'error']),
        output: z.unknown().optional(),
        error: z.string().optional(),
        latencyMs: z.number(),
      }),
    ),
  })
  .describe("One prediction per instance, in order: the live variant's answer (shadow answers are stored, not returned).");

/**
 * `POST /v1/applications/:application/predict`: the learning cycle's applications served behind the router. Each
 * request is answered by the variant its user is routed to; every other deployed variant answers it in shadow, and
 * all answers are stored (unclaimed) for the cycle's next monitoring check. An application's implementation comes
 * from the catalog (the simulators of src/learning/applications): it follows the requirements version deployed with the route.
 */
export const applicationRequestsRoutes: FastifyPluginAsyncZod<ApplicationRequestsOptions> = async (
  app,
  { pool, catalog, applications, metrics, logger, auth = false },
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: avvio does not catch a synchronous throw, so setup errors must reject the plugin's promise, as async makes them
) => {
  const log = logger.child({ component: 'router-applications' });
  const documents = new VersionedCache<RequirementsDocument>(async (application, version) => {
    const doc = await readRequirements(pool, application, version);
    if (!doc) throw new Error(`${application} has no requirements v${version}`);
    return doc;
  });

  /** What this router serves: each application's variants, live share, baseline, requirements version and cycle. */
  app.get(
    '/v1/applications',
    {
      schema: {
        operationId: 'listApplications',
        summary: 'Applications deployed behind this router',
        response: { 200: applicationsResponseSchema, ...errorResponses(auth, 401) },
      },
    },
    () =>
      Promise.resolve({
        applications: applications.applications().map((application) => ({
          application,
          routes: [...defined(applications.get(application), `deployed application ${application}`).routes],
        })),
      }),
  );

  app.post(
    '/v1/applications/:application/predict',
    {
      schema: {
        operationId: 'predict',
        summary: "Serve requests by an application's live variant (every other variant answers in shadow)",
        params: applicationParams,
        body: applicationRequestsBodySchema,
        response: { 200: predictResponseSchema, ...errorResponses(auth, 400, 401, 404, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      const { application } = req.params;
      // One snapshot for the whole call: a route change arriving while the documents are read applies to the next call.
      const deployed = applications.get(application);
      const implementation = catalog.find((a) => a.id === application);
      if (!deployed || !implementation)
        return reply.code(404).send({ error: `application: ${application} is not deployed behind this router` });

      let docs: Map<number, RequirementsDocument>;
      try {
        const versions = [...new Set(deployed.routes.map((r) => r.requirementsVersion))];
        docs = new Map(await Promise.all(versions.map(async (v) => [v, await documents.get(application, v)] as const)));
      } catch (err) {
        log.warn({ requestId: req.id, application, err: (err as Error).message }, 'requirements read failed');
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({ error: `the requirements of ${application} cannot be read now; retry later` });
      }

      const stored: ServedOutcome[] = [];
      const predictions = req.body.instances.map((instance) => {
        const requestId = instance.requestId ?? randomUUID();
        const live = deployed.live(instance.userKey ?? requestId);
        const answers = deployed.routes.map(
          (route): ServedOutcome => ({
            ...implementation.serve(
              defined(docs.get(route.requirementsVersion), `requirements v${route.requirementsVersion}`),
              route.variant,
              { requestId, input: instance.input },
            ),
            cycleId: route.cycleId,
            clientRequestId: requestId,
            shadow: route !== live,
          }),
        );
        stored.push(...answers);
        const { status, output, error, latencyMs } = defined(
          answers.find((a) => !a.shadow),
          'live answer',
        );
        return {
          requestId,
          variant: live.variant,
          status,
          ...(output === undefined ? {} : { output }),
          ...(error === undefined ? {} : { error }),
          latencyMs,
        };
      });
      try {
        await insertOutcomes(pool, stored);
      } catch (err) {
        // Nothing was stored (one statement); the client resends with the same ids.
        log.warn({ requestId: req.id, application, err: (err as Error).message }, 'application requests not stored');
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({ error: 'the requests could not be stored (database unavailable); retry later' });
      }
      for (const o of stored)
        metrics.applicationAnswers.inc({ application, variant: o.variant, status: o.status, served: o.shadow ? 'shadow' : 'live' });
      log.info({ requestId: req.id, application, requests: predictions.length, answers: stored.length }, 'application requests');
      return { application, predictions };
    },
  );
};
