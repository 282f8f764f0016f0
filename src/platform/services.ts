import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startCiFeedback } from '../experiments/ci-dispatch.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { SentenceEmbedder } from '../models/embedder.js';
import { fetchEmbeddingModel } from '../models/fetch-model.js';
import { ModelServer } from '../models/model-server.js';
import { ModelRegistry } from '../models/registry.js';
import { startRouter, type RunningRouter } from '../router/server.js';
import { createLearnloopWorker } from '../../workers/learnloop.js';
import { createActivities } from '../../activities/index.js';
import type { TemporalHandle } from './temporal-connection.js';

export interface RouterService {
  router: RunningRouter;
  registry: ModelRegistry;
  embedder: SentenceEmbedder;
  close(): Promise<void>;
}

/** The router over registered versions: the shared encoder plus each version's head. */
export async function startRouterService(
  config: Config,
  pool: Pool,
  logger: Logger,
  options: { port?: number; temporal?: Client } = {},
): Promise<RouterService> {
  const { modelDir } = await fetchEmbeddingModel({ home: config.home, logger });
  const embedder = await SentenceEmbedder.load(modelDir, { logger });
  const registry = new ModelRegistry(pool, config.artifactDir);
  const server = new ModelServer(registry, embedder, logger);
  const { temporal } = options;
  const router = await startRouter({
    config, pool, predictor: server, logger, port: options.port,
    dispatchCiEvent: temporal ? async (eventId) => void (await startCiFeedback(temporal, eventId)) : undefined,
  });
  return {
    router,
    registry,
    embedder,
    async close() {
      await router.close();
      await server.close();
      await embedder.close();
    },
  };
}

export interface WorkerService {
  worker: Worker;
  close(): Promise<void>;
}

/** The `learnloop` task-queue worker, running until closed. */
export async function startWorkerService(config: Config, pool: Pool, logger: Logger, temporal: TemporalHandle): Promise<WorkerService> {
  const worker = await createLearnloopWorker({
    connection: temporal.workerConnection,
    namespace: config.temporal.namespace,
    activities: createActivities({ pool, logger, config }),
  });
  const running = worker.run();
  return {
    worker,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
