import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { Predictor } from '../models/predictor.js';
import { buildRouterApp } from './app.js';
import { BatchWriter } from './batch-writer.js';
import { createRouterMetrics } from './metrics.js';
import { RoutingTable } from './routing-table.js';
import { WeightsSync } from './weights-sync.js';

export interface RunningRouter {
  url: string;
  table: RoutingTable;
  writer: BatchWriter;
  close(): Promise<void>;
}

export async function startRouter(opts: {
  config: Pick<Config, 'databaseUrl' | 'apiToken' | 'router'>;
  pool: Pool;
  predictor: Predictor;
  logger: Logger;
  /** 0 picks a free port (tests). */
  port?: number;
}): Promise<RunningRouter> {
  const { config, pool, logger } = opts;
  const table = new RoutingTable();
  const sync = new WeightsSync({ databaseUrl: config.databaseUrl, pool, table, logger });
  await sync.start();
  const writer = new BatchWriter({ pool, logger });
  const metrics = createRouterMetrics(() => writer.buffered);
  const app = buildRouterApp({ pool, predictor: opts.predictor, table, writer, metrics, logger, apiToken: config.apiToken });
  for (const modelId of table.models()) {
    for (const version of Object.keys(table.weights(modelId) ?? {})) {
      await opts.predictor.warm?.(modelId, version).catch((err: Error) => logger.warn({ modelId, version, err: err.message }, 'warm-up failed'));
    }
  }
  const address = await app.listen({ host: config.router.host, port: opts.port ?? config.router.port });
  logger.info({ url: address }, 'router listening');
  return {
    url: address,
    table,
    writer,
    async close() {
      await app.close();
      await sync.close();
      await writer.close();
    },
  };
}
