import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifySchemaCompiler,
} from 'fastify';
import { serializerCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listModelVersions } from '../db/model-versions.js';
import type { Pool } from '../db/pool.js';
import { writeVariantRoutes, writeWeights, WeightsError } from '../db/routing-weights.js';
import type { ContextDocument } from '../models/context-document.js';
import type { ApplicationTable } from './application-table.js';
import type { Logger } from '../log.js';
import type { Prediction, Predictor } from '../models/predictor.js';
import type { BatchWriter } from './batch-writer.js';
import type { RouterMetrics } from './metrics.js';
import type { RouterFeatures } from './features.js';
import { openApiOptions, openApiRoutes } from './openapi.js';
import type { RecentRequests } from './recent-requests.js';
import type { RoutingTable } from './routing-table.js';
import {
  describeZodError,
  errorResponses,
  feedbackBodySchema,
  feedbackResponseSchema,
  healthResponseSchema,
  inferBodySchema,
  inferResponseSchema,
  modelFailureSchema,
  modelIdParams,
  modelsResponseSchema,
  routesBodySchema,
  routesResponseSchema,
} from './schemas.js';
import { VersionedCache } from './versioned-cache.js';
import { defined } from '../platform/defined.js';

export interface RouterAppDeps extends RouterFeatures {
  pool: Pool;
  predictor: Predictor;
  table: RoutingTable;
  /** The learning cycle's applications deployed behind this router. */
  applications: ApplicationTable;
  writer: BatchWriter;
  recent: RecentRequests;
  metrics: RouterMetrics;
  logger: Logger;
  /** When set, every route but /healthz and the API description needs `Authorization: Bearer <token>`, and route changes are allowed. */
  apiToken?: string;
  /** Largest request body a JSON route reads; bigger ones get 413 without being read. Default 1 MiB. */
  maxBodyBytes?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the bearer token (health checks, the API description). */
    public?: boolean;
  }
}

/**
 * Compares the presented Authorization header with the expected one in constant time: both are hashed first, so
 * timingSafeEqual always compares two 32-byte digests and neither the token nor its length leaks through timing.
 */
export function bearerCheck(token: string): (header: string | undefined) => boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = digest(`Bearer ${token}`);
  return (header) => timingSafeEqual(digest(header ?? ''), expected);
}

/** Validates with the route's zod schema; a failure is a 400 whose message names the field (describeZodError). */
const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const parsed = schema.safeParse(data);
    return parsed.success ? { value: parsed.data } : { error: new Error(describeZodError(parsed.error)) };
  };

/**
 * An error that says the database cannot be reached or is not taking work now (connection refused or cut, the
 * database not accepting connections, shutting down, out of connections), as opposed to a bug in a statement.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return /^(08|53|57|58)/.test(code) || code === '55000' || code === '3D000' || code === '40001' || code === '40P01';
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…
  return /connection terminated|timeout exceeded when trying to connect|connection error|not queryable|Connection refused/i.test(
    err.message,
  );
}

function unavailable(reply: FastifyReply, error: string, retryAfterMs = 1_000): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))))
    .send({ error });
}

export function buildRouterApp(deps: RouterAppDeps): FastifyInstance {
  const { apiToken } = deps;
  const log = deps.logger.child({ component: 'router' });
  // Typed as Fastify's logger so that the instance is FastifyInstance with the default logger type.
  const fastifyLog: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: fastifyLog,
    // The request id doubles as the inference's requestId, so log lines and stored rows share it.
    genReqId: () => randomUUID(),
    // Fastify's two lines per request are off, and so is its child logger per request (building one costs more
    // than the line we write): each handler logs one structured line naming the requestId itself.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent) => parent,
    bodyLimit: deps.maxBodyBytes ?? 1024 * 1024,
    // Past any path Node reads (16 KiB of headers), so an overlong parameter meets its schema (400 naming it)
    // instead of the router's own 414.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Errors met before a route is chosen (a malformed or overlong path) in the router's own `{ error }` shape.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void reply.code(tooLong ? 414 : 400).send({ error: tooLong ? 'path: a parameter is too long' : 'path: not a valid URL path' });
    },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  if (apiToken) {
    const authorized = bearerCheck(apiToken);
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.config.public || authorized(req.headers.authorization)) return;
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'authorization: missing or wrong bearer token' });
    });
  }
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    // zodValidatorCompiler's message already names the field.
    if (err.code === 'FST_ERR_VALIDATION') return reply.code(400).send({ error: err.message });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: `body: larger than the ${req.routeOptions.bodyLimit} bytes this route accepts` });
    }
    if (isDatabaseUnavailable(err)) {
      log.warn({ requestId: req.id, err: err.message }, 'database unavailable');
      return unavailable(reply, 'the database is unavailable now; retry later');
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ requestId: req.id, err }, 'router error');
    // Fastify's own 4xx (unparseable JSON, wrong content type) are about the body as a whole.
    return reply.code(status).send({ error: status === 500 ? 'internal error' : `body: ${err.message}` });
  });
  // A path served with other methods answers 405 naming them (Allow); any other path 404.
  const served: { pattern: RegExp; method: string }[] = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(
      `^${route.url
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/:[^/]+/g, '[^/]+')
        .replace(/\*/g, '.*')}$`,
    );
    for (const method of [route.method].flat()) served.push({ pattern, method });
  });
  // Before the body is read: a method that carries one (QUERY, say) would otherwise fail on its content type first.
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url !== undefined) return;
    const path = defined(req.url.split('?')[0], 'request path');
    const allowed = [...new Set(served.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ error: `method: ${req.method} is not served on ${path}; ${allowed.join(', ')} are` });
    }
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url}` }));

  // Before any route, so that every route is in the document.
  app.register(fastifySwagger, openApiOptions({ auth: apiToken !== undefined }));
  app.register(openApiRoutes);
  app.register(modelRoutes, deps);
  for (const mount of deps.routes) {
    mount(app, {
      pool: deps.pool,
      applications: deps.applications,
      metrics: deps.metrics,
      logger: deps.logger,
      auth: apiToken !== undefined,
    });
  }
  return app;
}

/** Inference, feedback, models and their routes, health and metrics. */
// eslint-disable-next-line @typescript-eslint/require-await -- an async plugin: avvio calls it without try/catch, so a route that fails to register must reject its promise, not throw
const modelRoutes: FastifyPluginAsyncZod<RouterAppDeps> = async (app, deps) => {
  const { pool, predictor, table, writer, recent, metrics, apiToken } = deps;
  const auth = apiToken !== undefined;
  const log = deps.logger.child({ component: 'router' });
  const contexts = new VersionedCache<ContextDocument>(async (id, version) => Object.freeze(await deps.readContext(pool, id, version)));

  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { operationId: 'health', summary: 'Liveness', security: [], response: { 200: healthResponseSchema } },
    },
    () => Promise.resolve({ ok: true as const, bufferedRows: writer.buffered }),
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        response: {
          200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
          ...errorResponses(auth, 401),
        },
      },
    },
    async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.post(
    '/v1/infer',
    {
      // Feedback refers to an inference by the requestId it answered with (Schemathesis' stateful phase follows it).
      links: {
        200: {
          feedback: {
            operationId: 'postFeedback',
            requestBody: { requestId: '$response.body#/requestId', testPassRate: 1, implementationVariance: 0 },
            description: 'Feedback on this inference.',
          },
        },
      },
      schema: {
        operationId: 'infer',
        summary: 'Run the model version the routes choose',
        body: inferBodySchema,
        response: { 200: inferResponseSchema, 502: modelFailureSchema, ...errorResponses(auth, 400, 401, 404, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      const { body } = req;
      const target = table.choose(body.modelId, body.userKey);
      if (!target) return reply.code(404).send({ error: `modelId: no routes for model ${body.modelId}` });
      // Refuse before running the model: its row could not be kept.
      if (!writer.hasRoom()) {
        metrics.refused.inc();
        return unavailable(reply, 'the request log buffer is full (database unavailable); retry later');
      }
      const { modelId, version, contextId, contextVersion } = target;
      let context;
      try {
        context =
          contextId === null
            ? undefined
            : await contexts.get(contextId, defined(contextVersion ?? undefined, 'context version of a route with a context'));
      } catch (err) {
        log.warn({ requestId: req.id, modelId, contextId, contextVersion, err: (err as Error).message }, 'context read failed');
        return unavailable(
          reply,
          `the serving variant's context ${String(contextId)}@${String(contextVersion)} cannot be read now; retry later`,
        );
      }
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      let output: Prediction | null = null;
      let error: string | null = null;
      try {
        output = await predictor.predict(modelId, version, body.input, context);
      } catch (err) {
        error = (err as Error).message;
      }
      const latencyMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      // Resident set size, not a heap delta: a per-request heap delta mostly measures when the collector last ran (it is
      // often negative), while RSS is what the serving process holds, which a variant's model and context enlarge.
      const memoryBytes = process.memoryUsage.rss();
      const series = metrics.series(target);
      (error === null ? series.ok : series.error).inc();
      series.latencySeconds.observe(latencyMs / 1000);
      const requestId = req.id;
      const accepted = writer.offerRequest({
        requestId,
        modelId,
        version,
        userKey: body.userKey ?? null,
        input: body.input,
        output,
        latencyMs,
        error,
        at: Date.now(),
        contextId,
        contextVersion,
        cpuMs,
        memoryBytes,
      });
      if (!accepted) {
        metrics.refused.inc();
        return unavailable(reply, 'the request log buffer is full (database unavailable); retry later');
      }
      recent.remember(requestId, target);
      if (error !== null) {
        log.error({ requestId, modelId, version, contextId, contextVersion, latencyMs, error }, 'inference failed');
        // The model is this route's upstream: its failure is a 502, not the router's own 500.
        return reply.code(502).send({ requestId, modelId, version, contextId, contextVersion, error });
      }
      if (output === null) throw new Error('the prediction is missing'); // predict resolved, so it returned one
      log.info({ requestId, modelId, version, contextId, contextVersion, latencyMs, cpuMs }, 'inference');
      return { requestId, modelId, version, contextId, contextVersion, output, latencyMs };
    },
  );

  app.post(
    '/v1/feedback',
    {
      schema: {
        operationId: 'postFeedback',
        summary: 'Store feedback on an inference (answered once committed)',
        body: feedbackBodySchema,
        response: { 202: feedbackResponseSchema, ...errorResponses(auth, 400, 401, 404, 413, 415, 422, 503) },
      },
    },
    async (req, reply) => {
      const { body } = req;
      let served;
      try {
        served = await recent.lookup(body.requestId);
      } catch (err) {
        log.warn({ requestId: req.id, feedbackFor: body.requestId, err: (err as Error).message }, 'request lookup failed');
        return unavailable(reply, 'requestId: not a recent request and the database cannot be asked now; retry later');
      }
      if (!served) return reply.code(404).send({ error: `requestId: unknown request ${body.requestId}` });
      const { modelId, version } = served;
      // Answered once the row is committed (group commit with the batch), so an acknowledged row outlives the router.
      const outcome = await writer.submitFeedback({
        requestId: body.requestId,
        modelId,
        version,
        testPassRate: body.testPassRate,
        implementationVariance: body.implementationVariance,
        latencyMs: body.latencyMs ?? null,
        error: body.error ?? null,
        at: Date.now(),
      });
      if (outcome.status === 'unavailable') {
        metrics.refused.inc();
        log.warn({ requestId: req.id, feedbackFor: body.requestId, reason: outcome.reason }, 'feedback not stored');
        return unavailable(reply, `feedback not stored: ${outcome.reason}; retry later`, outcome.retryAfterMs);
      }
      if (outcome.status === 'refused') {
        return reply.code(422).send({ error: `requestId: the database refused this feedback (${outcome.reason})` });
      }
      metrics.series(served).feedback.inc();
      log.info({ requestId: req.id, feedbackFor: body.requestId, modelId, version }, 'feedback');
      return reply.code(202).send({ requestId: body.requestId, modelId, version });
    },
  );

  app.get(
    '/v1/models',
    {
      schema: {
        operationId: 'listModels',
        summary: 'Registered models, versions and weights',
        response: { 200: modelsResponseSchema, ...errorResponses(auth, 401, 503) },
      },
    },
    async () => {
      const rows = await listModelVersions(pool);
      type Model = z.infer<typeof modelsResponseSchema>['models'][number];
      const models = new Map<string, Model>();
      for (const r of rows) {
        const m = models.get(r.model_id) ?? { modelId: r.model_id, versions: [], weights: table.weights(r.model_id) ?? {} };
        m.versions.push({ version: r.version, status: r.status, sha256: r.sha256, createdAt: r.created_at.toISOString() });
        models.set(r.model_id, m);
      }
      return { models: [...models.values()] };
    },
  );

  app.get(
    '/v1/models/:modelId/routes',
    {
      schema: {
        operationId: 'getRoutes',
        summary: "A model's routes",
        params: modelIdParams,
        response: { 200: routesResponseSchema, ...errorResponses(auth, 400, 401, 404) },
      },
    },
    async (req, reply) => {
      const weights = table.weights(req.params.modelId);
      if (!weights) return reply.code(404).send({ error: `modelId: no routes for model ${req.params.modelId}` });
      return { modelId: req.params.modelId, weights, routes: [...(table.variants(req.params.modelId) ?? [])] };
    },
  );

  app.put(
    '/v1/models/:modelId/routes',
    {
      schema: {
        operationId: 'setRoutes',
        summary: "Change a model's routes (admin: needs the token)",
        params: modelIdParams,
        body: routesBodySchema,
        response: { 200: routesResponseSchema, ...errorResponses(auth, 400, 401, 403, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      if (!apiToken) return reply.code(403).send({ error: 'route changes over HTTP need LEARNLOOP_API_TOKEN to be configured' });
      const { body } = req;
      const { modelId } = req.params;
      try {
        if (body.routes) await writeVariantRoutes(pool, modelId, body.routes, 'router-http');
        else await writeWeights(pool, modelId, defined(body.weights, 'weights (the body has no routes)'), 'router-http');
      } catch (err) {
        if (err instanceof WeightsError) return reply.code(400).send({ error: `${body.routes ? 'routes' : 'weights'}: ${err.message}` });
        throw err;
      }
      // Every router (this one included) learns it by NOTIFY; applying it here too makes a read right after see it.
      table.set(modelId, body.routes ?? body.weights);
      log.info({ requestId: req.id, modelId, weights: body.weights, routes: body.routes }, 'routes changed');
      return { modelId, weights: defined(table.weights(modelId), 'the routes just set'), routes: [...(table.variants(modelId) ?? [])] };
    },
  );
};
