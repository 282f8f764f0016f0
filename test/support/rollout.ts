import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { simulateTraffic } from '../../src/simulate/traffic.js';
import type { ReferenceStack } from './reference-model.js';
import { deployableApplications } from '../../src/learning/applications/deployable.js';

/**
 * A `learnloop` worker over the stack's database, on its own task queue. The metrics lag is 0: the tests drain the
 * router's writer before time moves, so every row is in PostgreSQL when a check reads it.
 */
export async function startRolloutWorker(env: TestWorkflowEnvironment, stack: ReferenceStack, taskQueue = `rollout-test-${randomUUID()}`) {
  const config = loadConfig({ DATABASE_URL: stack.db.url, ROLLOUT_METRICS_LAG_MS: '0', LEARNLOOP_ARTIFACT_DIR: `${stack.home}/artifacts` });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(
      { pool: stack.db.pool, logger: createLogger({ level: 'silent' }), config },
      { applications: deployableApplications },
    ),
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** Registers a good candidate: v1's own ONNX file under a new version (a retrain that changed nothing). */
export async function registerCopyOfV1(stack: ReferenceStack, version: string): Promise<void> {
  const v1 = await stack.registry.get(REFERENCE_MODEL_ID, 'v1');
  await stack.registry.register({ modelId: REFERENCE_MODEL_ID, version, file: new URL(v1.artifactUri).pathname });
}

/** One check interval of real traffic through the router, with feedback from really checking each output. */
export async function sendTraffic(stack: ReferenceStack, requests: number, seed: number): Promise<void> {
  await simulateTraffic({
    routerUrl: stack.router.url,
    modelId: REFERENCE_MODEL_ID,
    durationMs: 60_000,
    maxRequests: requests,
    users: 1_000_000,
    seed,
  });
  await stack.router.writer.drain();
}

export async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  return (await handle.describe()).status.name === 'RUNNING';
}

/**
 * Drives a rollout on the time-skipping server: traffic for one interval, then the interval skipped, until the
 * workflow ends or `until` says stop. Returns the number of intervals driven.
 */
export async function drive(
  env: TestWorkflowEnvironment,
  stack: ReferenceStack,
  handle: WorkflowHandle,
  opts: { interval: string; requests: number; maxTicks?: number; until?: () => Promise<boolean> },
): Promise<number> {
  let tick = 0;
  while ((await isRunning(handle)) && tick < (opts.maxTicks ?? 200)) {
    if (opts.until && (await opts.until())) break;
    await sendTraffic(stack, opts.requests, 1000 + tick);
    await env.sleep(opts.interval);
    tick += 1;
  }
  return tick;
}

/** Holds that a promoted three-stage rollout wrote exactly one deployment event per step. */
export async function assertOneEventPerStep(pool: ReferenceStack['db']['pool'], workflowId: string): Promise<void> {
  const { rows } = await pool.query<{ step: string; n: number }>(
    `SELECT details->>'step' AS step, count(*)::int AS n FROM deployment_events WHERE workflow_id = $1 GROUP BY 1 ORDER BY 1`,
    [workflowId],
  );
  assert.deepEqual(rows, [
    { step: 'promote', n: 1 },
    { step: 'stage-0', n: 1 },
    { step: 'stage-1', n: 1 },
    { step: 'stage-2', n: 1 },
  ]);
}
