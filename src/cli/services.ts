import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startCiFeedback } from '../execution-feedback/ci-dispatch.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { SentenceEmbedder } from '../models/embedder.js';
import { fetchEmbeddingModel } from '../models/fetch-model.js';
import { ModelServer } from '../models/model-server.js';
import { SamplingPredictor } from '../models/sampling-predictor.js';
import { ModelRegistry } from '../models/registry.js';
import { startRouter, type RunningRouter } from '../router/server.js';
import { createLearnloopWorker } from '../../workers/learnloop.js';
import { createActivities } from '../../activities/index.js';
import { createTrainingActivities } from '../../activities/training.js';
import { createTrainingWorker } from '../../workers/training.js';
import { createCommandTrainer } from '../training/command-trainer.js';
import type { TemporalHandle } from '../platform/temporal-connection.js';
import { canaryHeldOutSet } from '../reference/held-out.js';
import { routerFeatures } from './router-features.js';
import { deployableApplications } from '../learning/applications/deployable.js';

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
    config,
    pool,
    logger,
    port: options.port,
    predictor:
      config.router.samplingTemperature > 0
        ? new SamplingPredictor(server, registry, { temperature: config.router.samplingTemperature })
        : server,
    ...routerFeatures({
      dispatchCiEvent: temporal
        ? async (eventId) => {
            await startCiFeedback(temporal, eventId);
          }
        : undefined,
    }),
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
  workers: Worker[];
  close(): Promise<void>;
}

/** The workers of the task queues asked for (`learnloop`, `learnloop-training`), running until closed. */
export async function startWorkerService(
  config: Config,
  pool: Pool,
  logger: Logger,
  temporal: TemporalHandle,
  queues: { learnloop: boolean; training: boolean } = { learnloop: true, training: true },
): Promise<WorkerService> {
  const deps = { pool, logger, config };
  const common = { connection: temporal.workerConnection, namespace: config.temporal.namespace };
  const workers: Worker[] = [];
  if (queues.learnloop)
    workers.push(await createLearnloopWorker({ ...common, activities: createActivities(deps, { applications: deployableApplications }) }));
  if (queues.training) {
    const trainer = config.training.command ? createCommandTrainer({ command: config.training.command }) : undefined;
    workers.push(await createTrainingWorker({ ...common, activities: createTrainingActivities(deps, { trainer, canaryHeldOutSet }) }));
  }
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    workers,
    async close() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}
