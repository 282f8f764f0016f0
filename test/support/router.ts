import { loadConfig } from '../../src/config.js';
import { writeWeights, type Weights } from '../../src/db/routing-weights.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { Predictor } from '../../src/models/predictor.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { catalogueVersions, versionEchoPredictor } from '../../bench/support/echo-model.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { routerFeatures } from '../../src/cli/router-features.js';

export interface StubbedRouter {
  db: ThrowawayDatabase;
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
export function startRouterOn(db: ThrowawayDatabase, options: RouterOptions = {}): Promise<RunningRouter> {
  return startRouter({
    config: loadConfig({ DATABASE_URL: db.url, ...options.env }),
    pool: db.pool,
    predictor: options.predictor ?? versionEchoPredictor,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    ...routerFeatures({ dispatchCiEvent: options.dispatchCiEvent }),
    port: 0,
  });
}

/** A real router on a fresh database and a free loopback port, model `m` routed by `weights`, answered by versionEchoPredictor unless told otherwise. */
export async function startStubbedRouter(weights: Weights, options: RouterOptions = {}): Promise<StubbedRouter> {
  const db = await throwawayDatabase();
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
