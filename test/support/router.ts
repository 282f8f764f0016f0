import { loadConfig } from '../../src/config.js';
import type { Pool } from '../../src/db/pool.js';
import { writeWeights, type Weights } from '../../src/db/routing-weights.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { Predictor } from '../../src/models/predictor.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/**
 * Catalogue rows for a model whose versions are never loaded (no artifact behind them): enough for
 * routing_weights' foreign key, for tests where no model runs.
 */
export async function catalogueVersions(pool: Pool, modelId: string, versions: string[]): Promise<void> {
  await pool.query('INSERT INTO models (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [modelId]);
  for (const version of versions) {
    await pool.query(
      `INSERT INTO model_versions (model_id, version, artifact_uri, sha256) VALUES ($1, $2, 'none://', repeat('0', 64))
       ON CONFLICT DO NOTHING`,
      [modelId, version],
    );
  }
}

/**
 * A Predictor double that answers with the version's name as the label. Only for tests where which model
 * answers plays no part (traffic split, buffering): running the real encoder for thousands of requests
 * would take minutes on this machine, and the routing decision is made before any model runs.
 */
export const versionEchoPredictor: Predictor = {
  predict(_modelId, version) {
    return Promise.resolve({ label: version, confidence: 1, probabilities: [1] });
  },
};

export interface StubbedRouter {
  db: TestDatabase;
  router: RunningRouter;
  close(): Promise<void>;
}

interface RouterOptions {
  env?: Record<string, string>;
  logger?: Logger;
  predictor?: Predictor;
  dispatchCiEvent?: (eventId: string) => Promise<void>;
}

/**
 * A real router over a test database on a free loopback port. The learning cycle's applications need no predictor
 * (they are served by their implementations), so versionEchoPredictor stands in unless told otherwise.
 */
export function startRouterOn(db: TestDatabase, options: RouterOptions = {}): Promise<RunningRouter> {
  return startRouter({
    config: loadConfig({ DATABASE_URL: db.url, ...options.env }),
    pool: db.pool,
    predictor: options.predictor ?? versionEchoPredictor,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    dispatchCiEvent: options.dispatchCiEvent,
    port: 0,
  });
}

/** A real router on a fresh database and a free loopback port, model `m` routed by `weights`, answered by versionEchoPredictor unless told otherwise. */
export async function startStubbedRouter(weights: Weights, options: RouterOptions = {}): Promise<StubbedRouter> {
  const db = await createTestDatabase();
  await catalogueVersions(db.pool, 'm', Object.keys(weights));
  await writeWeights(db.pool, 'm', weights, 'test');
  const router = await startRouterOn(db, options);
  return {
    db,
    router,
    async close() {
      await router.close();
      await db.drop();
    },
  };
}
