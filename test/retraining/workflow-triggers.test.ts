import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { loadConfig } from '../../src/config.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { createLogger } from '../../src/log.js';
import { checkDegradation } from '../../workflows/contracts/check-degradation.js';
import { checkNewData } from '../../workflows/contracts/check-new-data.js';
import { abortSignal } from '../../workflows/contracts/retrain-model.js';
import { seedExample, seedModel } from '../support/retraining-seed.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';
import { deployableApplications } from '../../src/learning/applications/deployable.js';

let env: TestWorkflowEnvironment;
let db: ThrowawayDatabase;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `triggers-${randomUUID()}`;

before(async () => {
  env = await createTimeSkippingEnv();
  db = await throwawayDatabase();
  const config = loadConfig({ DATABASE_URL: db.url });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(
      { pool: db.pool, logger: createLogger({ level: 'silent' }), config },
      { applications: deployableApplications },
    ),
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

const start = <T extends typeof checkDegradation | typeof checkNewData>(wf: T, input: unknown) =>
  env.client.workflow.execute(wf as typeof checkDegradation, {
    taskQueue,
    workflowId: `${wf.name}-${randomUUID()}`,
    args: [input],
  }) as ReturnType<T>;

test("a pass rate more than 5% below last week starts an emergency retraining of up to 200 examples, under the model's retraining id", async () => {
  await seedModel(db.pool, 'degrading');
  for (let i = 0; i < 30; i++) await seedExample(db.pool, { modelId: 'degrading', passRate: 0.9, age: '3 days' });
  for (let i = 0; i < 30; i++) await seedExample(db.pool, { modelId: 'degrading', passRate: i < 24 ? 1 : 0, age: '2 hours' });
  // 0.8 vs 0.9: an 11% drop.
  const verdict = await start(checkDegradation, { modelId: 'degrading' });
  assert.equal(verdict.degraded, true, verdict.reason);
  assert.deepEqual(verdict.retraining, { started: true, workflowId: 'retrain-degrading' });
  const child = env.client.workflow.getHandle('retrain-degrading');
  const history = await child.fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  assert.deepEqual(JSON.parse(Buffer.from(input.data!).toString()), {
    modelId: 'degrading',
    trigger: 'degradation',
    emergency: true,
    maxExamples: 200,
  });
  await child.signal(abortSignal, { reason: 'test over' }).catch(() => undefined);
});

test('a stable pass rate, or too little feedback, starts nothing', async () => {
  await seedModel(db.pool, 'stable');
  for (let i = 0; i < 30; i++) await seedExample(db.pool, { modelId: 'stable', passRate: 0.9, age: '3 days' });
  for (let i = 0; i < 30; i++) await seedExample(db.pool, { modelId: 'stable', passRate: 0.9, age: '1 hour' });
  const stable = await start(checkDegradation, { modelId: 'stable' });
  assert.equal(stable.degraded, false);
  assert.equal(stable.retraining, null);
  const quiet = await start(checkDegradation, { modelId: 'nobody-uses-this' });
  assert.match(quiet.reason, /too little feedback/);
});

test('the data threshold: 99 new qualifying examples start nothing, 100 start a data_threshold retraining', async () => {
  await seedModel(db.pool, 'growing');
  for (let i = 0; i < 99; i++) await seedExample(db.pool, { modelId: 'growing', passRate: 0.95, variance: 0.01 });
  const below = await start(checkNewData, { modelId: 'growing' });
  assert.deepEqual(below, { count: 99, retraining: null });
  await seedExample(db.pool, { modelId: 'growing', passRate: 0.95, variance: 0.01 });
  const at = await start(checkNewData, { modelId: 'growing' });
  assert.deepEqual(at, { count: 100, retraining: { started: true, workflowId: 'retrain-growing' } });
  await env.client.workflow
    .getHandle('retrain-growing')
    .signal(abortSignal, {})
    .catch(() => undefined);
});
