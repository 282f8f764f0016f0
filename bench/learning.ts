/**
 * The loop, end to end and measured: the reference model v1 serves real traffic through the router (sampling at a
 * temperature, so a weak model still serves some passing outputs), the requirements drift to a phrasing v1 never
 * learned, checkDegradation sees the drop and starts an emergency retrainModel, which selects the passing drifted
 * outputs, deduplicates them, fine-tunes v1 on them, gates and registers the new version; the new version then
 * serves the same drifted traffic. Every pass rate is the feedback of really checking served outputs.
 * Temporal is the time-skipping test server; PostgreSQL, the router, the encoder and training are real.
 * Last line: JSON with passRateBeforeDrift, passRateAfterDrift, passRateAfterRetrain.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createTrainingActivities } from '../activities/training.js';
import { loadConfig } from '../src/config.js';
import { ageTraffic } from '../src/db/inference-requests.js';
import { writeWeights } from '../src/db/routing-weights.js';
import { createLogger } from '../src/log.js';
import { SentenceEmbedder } from '../src/models/embedder.js';
import { embeddingModelDir } from '../src/models/fetch-model.js';
import { ModelServer } from '../src/models/model-server.js';
import { ModelRegistry } from '../src/models/registry.js';
import { SamplingPredictor } from '../src/models/sampling-predictor.js';
import { ensureReferenceModel, REFERENCE_MODEL_ID } from '../src/reference/register.js';
import { startRouter } from '../src/router/server.js';
import { simulateTraffic, type VersionTally } from '../src/simulate/traffic.js';
import { TRAINING_TASK_QUEUE } from '../src/temporal/task-queues.js';
import { throwawayDatabase } from './support/database.js';
import { workflowBundle } from './support/workflow-bundle.js';
import { createTimeSkippingEnv } from './support/temporal.js';
import { abortSignal } from '../workflows/contracts/canary-rollout.js';
import { checkDegradation } from '../workflows/contracts/check-degradation.js';
import type { RetrainResult } from '../workflows/contracts/retrain-model.js';
import { canaryHeldOutSet } from '../src/reference/held-out.js';
import { deployableApplications } from '../src/learning/applications/deployable.js';
import { routerFeatures } from '../src/cli/router-features.js';

const REQUESTS = Number(process.env.LEARNING_BENCH_REQUESTS ?? 600);
const TEMPERATURE = 1.0;

const passRate = (tallies: Map<string, VersionTally>, version: string) => {
  const t = tallies.get(version);
  return t && t.requests > 0 ? t.passRateSum / t.requests : NaN;
};
const round = (x: number) => Math.round(x * 10_000) / 10_000;

const started = performance.now();
const config = loadConfig();
const logger = createLogger({ level: 'warn' });
const db = await throwawayDatabase();
const home = mkdtempSync(path.join(tmpdir(), 'learnloop-learning-'));
const env = await createTimeSkippingEnv();
const registry = new ModelRegistry(db.pool, path.join(home, 'artifacts'));
const embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
const workers: { worker: Worker; running: Promise<void> }[] = [];
try {
  await ensureReferenceModel({ registry, pool: db.pool, embedder, home, cacheDir: path.join(config.home, 'cache', 'embeddings') });
  const server = new ModelServer(registry, embedder);
  const router = await startRouter({
    config: loadConfig({ DATABASE_URL: db.url }),
    ...routerFeatures(),
    pool: db.pool,
    predictor: new SamplingPredictor(server, registry, { temperature: TEMPERATURE }),
    logger,
    port: 0,
  });
  const workerConfig = loadConfig({ DATABASE_URL: db.url, LEARNLOOP_ARTIFACT_DIR: path.join(home, 'artifacts') });
  const deps = { pool: db.pool, logger, config: workerConfig };
  const taskQueue = `learning-bench-${randomUUID()}`;
  for (const worker of [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities(deps, { applications: deployableApplications }),
    }),
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TRAINING_TASK_QUEUE,
      activities: createTrainingActivities(deps, { embedder, canaryHeldOutSet }),
    }),
  ]) {
    workers.push({ worker, running: worker.run() });
  }

  const traffic = async (phrasing: 'standard' | 'drifted', seed: number) => {
    const tallies = await simulateTraffic({
      routerUrl: router.url,
      modelId: REFERENCE_MODEL_ID,
      durationMs: 600_000,
      maxRequests: REQUESTS,
      phrasing,
      seed,
      samplesPerRequirement: 3,
    });
    await router.writer.drain();
    return tallies;
  };

  // A week of normal traffic (feedback rows aged into the baseline window), then the drift in the last hours.
  const before = await traffic('standard', 1);
  await ageTraffic(db.pool, 2);
  const drifted = await traffic('drifted', 2);

  const verdict = await env.client.workflow.execute(checkDegradation, {
    taskQueue,
    workflowId: `check-degradation-${randomUUID()}`,
    args: [{ modelId: REFERENCE_MODEL_ID }],
  });
  if (!verdict.retraining?.started) throw new Error(`no retraining started: ${verdict.reason}`);
  const retrain = (await env.client.workflow.getHandle(verdict.retraining.workflowId).result()) as RetrainResult;
  if (retrain.status !== 'deployed') throw new Error(`retraining ${retrain.status}: ${retrain.reason}`);
  const { rolloutWorkflowId, candidateVersion } = retrain;
  if (rolloutWorkflowId === null || candidateVersion === null)
    throw new Error('a deployed retraining names its rollout and its candidate version');

  // The canary would take hours of real traffic; here the new version takes all of it at once to be measured.
  await env.client.workflow.getHandle(rolloutWorkflowId).signal(abortSignal, { reason: 'benchmark measures the new version directly' });
  await env.client.workflow.getHandle(rolloutWorkflowId).result();
  await writeWeights(db.pool, REFERENCE_MODEL_ID, { [candidateVersion]: 100 }, 'bench');
  await new Promise((r) => setTimeout(r, 300));
  const after = await traffic('drifted', 3);
  const standardAfter = await traffic('standard', 4);

  await router.close();
  await server.close();
  console.log(
    JSON.stringify({
      requestsPerPhase: REQUESTS,
      samplingTemperature: TEMPERATURE,
      degradation: verdict.reason,
      retraining: {
        examplesSelected: retrain.examplesSelected,
        examplesAfterDedup: retrain.examplesAfterDedup,
        epochsRun: retrain.training?.epochsRun,
        backend: retrain.training?.backend,
        canary: retrain.evaluation,
        version: retrain.candidateVersion,
      },
      passRateBeforeDrift: round(passRate(before, 'v1')),
      passRateAfterDrift: round(passRate(drifted, 'v1')),
      passRateAfterRetrain: round(passRate(after, candidateVersion)),
      standardPassRateAfterRetrain: round(passRate(standardAfter, candidateVersion)),
      seconds: Math.round((performance.now() - started) / 100) / 10,
    }),
  );
} finally {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await embedder.close();
  await db.drop();
  await env.teardown();
  rmSync(home, { recursive: true, force: true });
}
