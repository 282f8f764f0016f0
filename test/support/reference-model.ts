import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/log.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { ModelServer } from '../../src/models/model-server.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { ensureReferenceModel } from '../../src/reference/register.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { routerFeatures } from '../../src/cli/router-features.js';

export interface ReferenceStack {
  db: ThrowawayDatabase;
  registry: ModelRegistry;
  embedder: SentenceEmbedder;
  router: RunningRouter;
  home: string;
  close(): Promise<void>;
}

/**
 * A fresh database with the real reference model (v1, v2) trained and registered, and a real router on a free
 * loopback port serving it. The embedding model comes from LEARNLOOP_HOME (`npm run fetch-model`).
 */
export async function startReferenceStack(
  options: { apiToken?: string; logger?: Logger; weightsResyncMs?: number } = {},
): Promise<ReferenceStack> {
  const config = loadConfig();
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const db = await throwawayDatabase();
  const home = mkdtempSync(path.join(tmpdir(), 'learnloop-stack-'));
  const registry = new ModelRegistry(db.pool, path.join(home, 'artifacts'));
  const embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
  await ensureReferenceModel({ registry, pool: db.pool, embedder, home, logger });
  const server = new ModelServer(registry, embedder);
  const router = await startRouter({
    ...routerFeatures(),
    config: loadConfig({
      DATABASE_URL: db.url,
      LEARNLOOP_API_TOKEN: options.apiToken,
      ...(options.weightsResyncMs ? { ROUTER_WEIGHTS_RESYNC_MS: String(options.weightsResyncMs) } : {}),
    }),
    pool: db.pool,
    predictor: server,
    logger,
    port: 0,
  });
  return {
    db,
    registry,
    embedder,
    router,
    home,
    async close() {
      await router.close();
      await server.close();
      await embedder.close();
      await db.drop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
