import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';
import { registerCopyOfV1, startRolloutWorker } from '../support/rollout.js';
import { waitFor } from '../../bench/support/wait-for.js';
import { createDevServerEnv } from '../../bench/support/temporal.js';
import { runLearnloop } from '../support/cli.js';

let env: TestWorkflowEnvironment;
let stack: ReferenceStack;
let worker: Awaited<ReturnType<typeof startRolloutWorker>>;

const learnloop = (...args: string[]) =>
  runLearnloop(args, { ...process.env, TEMPORAL_ADDRESS: env.address, DATABASE_URL: stack.db.url, LOG_LEVEL: 'warn' }, 60_000);

before(async () => {
  env = await createDevServerEnv();
  stack = await startReferenceStack();
  await registerCopyOfV1(stack, 'v3');
  worker = await startRolloutWorker(env, stack, 'learnloop');
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (worker as typeof worker | undefined)?.stop();
  await (stack as typeof stack | undefined)?.close();
  await (env as typeof env | undefined)?.teardown();
});

const id = `rollout-${REFERENCE_MODEL_ID}-v3`;

test('rollout start, status, pause, list, abort and retry drive the workflow from the terminal', async () => {
  const started = await learnloop(
    'rollout',
    'start',
    REFERENCE_MODEL_ID,
    'v3',
    '--stage',
    '10:manual',
    '--stage',
    '100',
    '--check-every',
    '1m',
    '--threshold',
    'maxLatencyP95Ratio=5',
  );
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, new RegExp(`started ${id}`));
  await waitFor('the 10% stage', () => stack.router.table.weights(REFERENCE_MODEL_ID)?.v3 === 10);

  const status = await learnloop('rollout', 'status', id);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /RUNNING/);
  assert.match(status.stdout, /stage 1\/2 +weights v3=10 v1=90/);
  assert.match(status.stdout, /dwell manual/);
  assert.match(status.stdout, /maxLatencyP95Ratio=5/);

  assert.equal((await learnloop('rollout', 'pause', id)).code, 0);
  await waitFor('the paused state to be searchable', async () => {
    const list = await learnloop('rollout', 'list', '--model', REFERENCE_MODEL_ID, '--state', 'paused');
    return list.stdout.includes(id);
  });
  assert.match((await learnloop('rollout', 'status', id)).stdout, /PAUSED/);

  const aborted = await learnloop('rollout', 'abort', id, '--reason', 'terminal test');
  assert.equal(aborted.code, 0, aborted.stderr);
  await waitFor('the abort to land', () => stack.router.table.weights(REFERENCE_MODEL_ID)?.v1 === 100);
  const { rows } = await stack.db.pool.query('SELECT reason FROM rollback_events WHERE workflow_id = $1', [id]);
  assert.deepEqual(rows, [{ reason: 'terminal test' }]);

  const retried = await learnloop('rollout', 'retry', id);
  assert.equal(retried.code, 0, retried.stderr);
  assert.match(retried.stdout, /previous run completed/);
  await waitFor('the retried rollout back at 10%', () => stack.router.table.weights(REFERENCE_MODEL_ID)?.v3 === 10);
  assert.equal((await learnloop('rollout', 'abort', id)).code, 0);
});

test('rollout commands refuse what they cannot do, in one line', async () => {
  const unknown = await learnloop('rollout', 'status', 'rollout-nope-v9');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no rollout rollout-nope-v9/);
  const badThreshold = await learnloop('rollout', 'start', REFERENCE_MODEL_ID, 'v3', '--threshold', 'minPassRate=high');
  assert.notEqual(badThreshold.code, 0);
  assert.match(badThreshold.stderr, /is not NAME=NUMBER/);
});
