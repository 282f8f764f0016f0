import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Pool } from '../db/pool.js';
import { writeWeights, WeightsError } from '../db/routing-weights.js';
import type { Logger } from '../log.js';
import type { Predictor } from '../models/predictor.js';
import type { BatchWriter } from './batch-writer.js';
import type { RouterMetrics } from './metrics.js';
import { RecentRequests } from './recent-requests.js';
import type { RoutingTable } from './routing-table.js';
import { describeZodError, feedbackBodySchema, inferBodySchema, routesBodySchema } from './schemas.js';

export interface RouterAppDeps {
  pool: Pool;
  predictor: Predictor;
  table: RoutingTable;
  writer: BatchWriter;
  metrics: RouterMetrics;
  logger: Logger;
  apiToken?: string;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): z.infer<S> | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  void reply.code(400).send({ error: describeZodError(parsed.error) });
  return undefined;
}

export function buildRouterApp(deps: RouterAppDeps): FastifyInstance {
  const { pool, predictor, table, writer, metrics, apiToken } = deps;
  const app = Fastify({ loggerInstance: deps.logger.child({ component: 'router' }) as FastifyBaseLogger, 
    // Per-request access lines would double the hot path's logging cost; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const recent = new RecentRequests(pool);

  app.addHook('onRequest', async (req, reply) => {
    if (!apiToken || req.url === '/healthz' || req.url === '/metrics') return;
    if (!tokenMatches(req.headers.authorization, apiToken)) {
      return reply.code(401).send({ error: 'missing or wrong bearer token' });
    }
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'router error');
    void reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  });

  app.get('/healthz', async () => ({ ok: true, buffered: writer.buffered }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.post('/v1/infer', async (req, reply) => {
    const body = parseBody(inferBodySchema, req.body, reply);
    if (!body) return reply;
    const version = table.choose(body.modelId, body.userKey);
    if (!version) return reply.code(404).send({ error: `modelId: no routes for model ${body.modelId}` });
    const requestId = randomUUID();
    const started = performance.now();
    let output: unknown;
    let error: string | null = null;
    try {
      output = await predictor.predict(body.modelId, version, body.input);
    } catch (err) {
      error = (err as Error).message;
    }
    const latencyMs = performance.now() - started;
    const accepted = writer.offerRequest({
      requestId, modelId: body.modelId, version, userKey: body.userKey ?? null,
      input: body.input, output, latencyMs, error, at: new Date(),
    });
    metrics.requests.inc({ model: body.modelId, version, outcome: error ? 'error' : 'ok' });
    metrics.latency.observe({ model: body.modelId, version }, latencyMs / 1000);
    if (!accepted) return reply.code(503).send({ error: 'request log buffer full; retry later' });
    recent.remember(requestId, body.modelId, version);
    if (error) return reply.code(500).send({ requestId, modelId: body.modelId, version, error });
    return { requestId, modelId: body.modelId, version, output, latencyMs };
  });

  app.post('/v1/feedback', async (req, reply) => {
    const body = parseBody(feedbackBodySchema, req.body, reply);
    if (!body) return reply;
    const served = await recent.lookup(body.requestId);
    if (!served) return reply.code(404).send({ error: `requestId: unknown request ${body.requestId}` });
    const accepted = writer.offerFeedback({
      requestId: body.requestId, modelId: served.modelId, version: served.version,
      testPassRate: body.testPassRate, implementationVariance: body.implementationVariance,
      latencyMs: body.latencyMs ?? null, error: body.error ?? null, at: new Date(),
    });
    if (!accepted) return reply.code(503).send({ error: 'feedback buffer full; retry later' });
    metrics.feedback.inc({ model: served.modelId, version: served.version });
    return reply.code(202).send({ requestId: body.requestId, version: served.version });
  });

  app.get('/v1/models', async () => {
    const { rows } = await pool.query<{ model_id: string; version: string; status: string; sha256: string; created_at: Date }>(
      'SELECT model_id, version, status, sha256, created_at FROM model_versions ORDER BY model_id, created_at, version',
    );
    const models = new Map<string, { modelId: string; versions: unknown[]; weights: Record<string, number> }>();
    for (const r of rows) {
      const m = models.get(r.model_id) ?? { modelId: r.model_id, versions: [], weights: table.weights(r.model_id) ?? {} };
      m.versions.push({ version: r.version, status: r.status, sha256: r.sha256, createdAt: r.created_at });
      models.set(r.model_id, m);
    }
    return { models: [...models.values()] };
  });

  app.get<{ Params: { modelId: string } }>('/v1/models/:modelId/routes', async (req, reply) => {
    const weights = table.weights(req.params.modelId);
    if (!weights) return reply.code(404).send({ error: `modelId: no routes for model ${req.params.modelId}` });
    return { modelId: req.params.modelId, weights };
  });

  app.put<{ Params: { modelId: string } }>('/v1/models/:modelId/routes', async (req, reply) => {
    if (!apiToken) return reply.code(403).send({ error: 'route changes over HTTP need LEARNLOOP_API_TOKEN to be configured' });
    const body = parseBody(routesBodySchema, req.body, reply);
    if (!body) return reply;
    try {
      await writeWeights(pool, req.params.modelId, body.weights, 'http');
    } catch (err) {
      if (err instanceof WeightsError) return reply.code(400).send({ error: `weights: ${err.message}` });
      throw err;
    }
    return { modelId: req.params.modelId, weights: body.weights };
  });

  return app;
}
