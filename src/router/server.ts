import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { Predictor } from '../models/predictor.js';
import { buildRouterApp } from './app.js';
import { ApplicationTable } from './application-table.js';
import { BatchWriter } from './batch-writer.js';
import { createRouterMetrics } from './metrics.js';
import type { RouterFeatures } from './features.js';
import { RecentRequests } from './recent-requests.js';
import { RoutingTable } from './routing-table.js';
import { WeightsSync } from './weights-sync.js';
import { PortInUseError } from '../net/port-in-use.js';
import { defined } from '../platform/defined.js';

export interface StartRouterOptions extends RouterFeatures {
  config: Pick<Config, 'databaseUrl' | 'apiToken' | 'router'>;
  pool: Pool;
  predictor: Predictor;
  logger: Logger;
  /** Overrides config.router.port; 0 picks a free port (tests, benchmarks). */
  port?: number;
  /**
   * `enqueue` acknowledges feedback when it is buffered instead of committed: a crash loses it. Only for measuring
   * what acknowledging on commit costs (bench/feedback-durability.ts); never configurable by operators.
   */
  feedbackAck?: 'commit' | 'enqueue';
}

export interface RunningRouter {
  /** http://host:port */
  url: string;
  table: RoutingTable;
  applications: ApplicationTable;
  writer: BatchWriter;
  /** Stops taking requests, lets in-flight ones finish, stops listening for weights and writes what is buffered. */
  close(): Promise<void>;
}

/** Loads the routing weights, warms every routed version and listens; rejects when the database cannot be reached. */
export async function startRouter(opts: StartRouterOptions): Promise<RunningRouter> {
  const { config, pool, predictor, logger } = opts;
  const settings = config.router;
  // An idle pooled connection that the server cuts (restart, failover) emits 'error' on the pool; unheard, that
  // would end the process, and the router is meant to ride out outages.
  const onPoolError = (err: Error) => {
    logger.warn({ err: err.message }, 'database connection lost');
  };
  pool.on('error', onPoolError);
  const table = new RoutingTable();
  const applications = new ApplicationTable();
  const metrics = createRouterMetrics(() => writer);
  const writer = new BatchWriter({
    pool,
    logger: logger.child({ component: 'router-writer' }),
    maxBufferedRows: settings.maxBufferedRows,
    maxBufferedBytes: settings.maxBufferedBytes,
    batchRows: settings.batchRows,
    flushIntervalMs: settings.flushIntervalMs,
    feedbackFlushMs: settings.feedbackFlushMs,
    feedbackAck: opts.feedbackAck,
    observer: metrics.writer,
  });
  const sync = new WeightsSync({ databaseUrl: config.databaseUrl, table, applications, logger, resyncMs: settings.weightsResyncMs });
  const app = buildRouterApp({
    pool,
    predictor,
    table,
    applications,
    writer,
    metrics,
    logger,
    apiToken: config.apiToken,
    routes: opts.routes,
    readContext: (c, contextId, version) => opts.readContext(c, contextId, version),
    maxBodyBytes: settings.maxBodyBytes,
    // Every buffered request must stay findable for its feedback.
    recent: new RecentRequests(pool, Math.max(settings.maxBufferedRows, 100_000)),
  });
  const close = async () => {
    await app.close();
    await sync.close();
    await writer.close();
    pool.off('error', onPoolError);
  };
  const warm = (modelId: string, version: string) =>
    predictor.warm?.(modelId, version).catch((err: unknown) => {
      logger.warn({ modelId, version, err: (err as Error).message }, 'warm-up failed');
    });
  try {
    await sync.start();
    for (const modelId of table.models()) {
      for (const version of Object.keys(defined(table.weights(modelId), `weights of ${modelId}`))) await warm(modelId, version);
    }
    // A version that starts receiving traffic later is loaded right away, so its first requests do not pay for it.
    table.onChange((modelId, weights) => {
      for (const [version, percent] of Object.entries(weights ?? {})) if (percent > 0) void warm(modelId, version);
    });
    const port = opts.port ?? settings.port;
    const url = await app.listen({ host: settings.host, port }).catch((err: unknown) => {
      throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError('Router', settings.host, port, 'ROUTER_PORT') : err;
    });
    logger.info({ url, maxBufferedRows: settings.maxBufferedRows, maxBufferedBytes: settings.maxBufferedBytes }, 'router listening');
    return { url, table, applications, writer, close };
  } catch (err) {
    await close();
    throw err;
  }
}
