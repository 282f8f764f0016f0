import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';
import { loadConfig } from '../../src/config.js';
import { deployableApplications } from '../../src/learning/applications/deployable.js';
import { createLogger } from '../../src/log.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { catalogueVersions } from '../../bench/support/echo-model.js';
import { abortSignal, cancelSignal, progressQuery, retrainModel } from '../../workflows/contracts/retrain-model.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

let env: TestWorkflowEnvironment;
let db: ThrowawayDatabase;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `retrain-abort-${randomUUID()}`;

before(async () => {
  env = await createTimeSkippingEnv();
  db = await throwawayDatabase();
  const real = createActivities(
    { pool: db.pool, logger: createLogger({ level: 'silent' }), config: loadConfig({ DATABASE_URL: db.url }) },
    { applications: deployableApplications },
  );
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...real,
      // The real activities throughout, except that selecting examples waits (heartbeating) until the operator's
      // signal cancels it: the abort has to land while a step is running, which the real selection never lasts for.
      async selectExamples(): Promise<never> {
        const ctx = Context.current();
        const beat = setInterval(() => {
          ctx.heartbeat();
        }, 100);
        try {
          return await ctx.cancelled;
        } finally {
          clearInterval(beat);
        }
      },
    },
  });
  running = worker.run();
});

after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  (worker as typeof worker | undefined)?.shutdown();
  await running;
  await (db as typeof db | undefined)?.drop();
  await (env as typeof env | undefined)?.teardown();
});

for (const [name, signal] of [
  ['abort', abortSignal],
  ['cancel (the name before "abort" was the one word)', cancelSignal],
] as const) {
  test(`retrainModel stops on the operator's ${name} signal while a step runs, records the run as cancelled with the reason`, async () => {
    const modelId = `abortable-${randomUUID().slice(0, 8)}`;
    // A production version to retrain from (never loaded: the run is stopped before training).
    await catalogueVersions(db.pool, modelId, ['v1']);
    await new ModelRegistry(db.pool, '/nonexistent').setAlias(modelId, 'production', 'v1', { changedBy: 'test' });
    const handle = await env.client.workflow.start(retrainModel, {
      taskQueue,
      workflowId: `retrain-${modelId}`,
      args: [{ modelId, trigger: 'manual' }],
    });
    // The signal lands once the selection step is running.
    for (;;) {
      const progress = await handle.query(progressQuery);
      if (progress.step === 'select') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await handle.signal(signal, { reason: 'wrong data window' });
    const result = await handle.result();
    assert.equal(result.status, 'cancelled');
    assert.equal(result.reason, 'wrong data window');
    const { rows } = await db.pool.query<{ status: string }>('SELECT status FROM training_runs WHERE workflow_id = $1', [
      handle.workflowId,
    ]);
    assert.deepEqual(rows, [{ status: 'cancelled' }]);
  });
}
