import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { initialSequentialState } from '../../src/rollout/sequential.js';
import { DEFAULT_THRESHOLDS } from '../../src/rollout/thresholds.js';
import { abortSignal, canaryRollout, progressQuery, type RolloutCarry } from '../../workflows/contracts/canary-rollout.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';
import { registerCopyOfV1, startRolloutWorker } from '../support/rollout.js';
import { createTimeSkippingEnv, signalSettled } from '../../bench/support/temporal.js';
import { waitFor } from '../../bench/support/wait-for.js';

// A rollout keeps one way of reading its checks from its first run to its last: the check-window patch is decided
// once, and a run continued as new takes the decision from its carry, never from the code it lands on.
describe('the check-window patch across continue-as-new', () => {
  let env: TestWorkflowEnvironment;
  let stack: ReferenceStack;
  let worker: Awaited<ReturnType<typeof startRolloutWorker>>;

  before(async () => {
    env = await createTimeSkippingEnv();
    stack = await startReferenceStack();
    worker = await startRolloutWorker(env, stack);
  });
  after(async () => {
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    await (worker as typeof worker | undefined)?.stop();
    await (stack as typeof stack | undefined)?.close();
    await (env as typeof env | undefined)?.teardown();
  });

  /** A run continued as new in the 10% stage, its weights already set, with `carry` over the state a run hands on. */
  async function continued(version: string, carry: Partial<RolloutCarry>): Promise<string[]> {
    await registerCopyOfV1(stack, version);
    const { rows } = await stack.db.pool.query<{ now: string }>('SELECT now()::text AS now');
    const state: RolloutCarry = {
      baselineVersion: 'v1',
      stageIndex: 0,
      stageSince: rows[0]!.now,
      windowSince: rows[0]!.now,
      stageStartedAt: Date.now(),
      percent: 10,
      dwellDoneMs: 0,
      paused: false,
      pauseReason: null,
      promote: null,
      checkNo: 0,
      checks: [],
      failures: 0,
      inconclusive: 0,
      thresholds: { ...DEFAULT_THRESHOLDS },
      sequential: initialSequentialState(),
      startedAt: Date.now(),
      ...carry,
    };
    const handle = await env.client.workflow.start(canaryRollout, {
      taskQueue: worker.taskQueue,
      workflowId: `rollout-${REFERENCE_MODEL_ID}-${version}`,
      args: [
        {
          modelId: REFERENCE_MODEL_ID,
          candidateVersion: version,
          stages: [{ percent: 10, dwell: 'manual' }, { percent: 100 }],
          checkInterval: '5m',
        },
        state,
      ],
    });
    for (let i = 0; i < 2; i++) await env.sleep('5m');
    await waitFor('two checks', async () => (await handle.query(progressQuery)).totalChecks >= 2);
    await signalSettled(handle, abortSignal, { reason: 'test over' });
    assert.equal((await handle.result()).outcome, 'aborted');
    const events = (await handle.fetchHistory()).events ?? [];
    return events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  }

  test('a run continued from a rollout begun before the one-hour window keeps reading the rows since the previous check', async () => {
    // A carry written by the earlier code has no checkWindow field.
    const activities = await continued('carried-old', {});
    assert.equal(activities.filter((a) => a === 'collectVersionMetrics').length, 2);
    assert.ok(!activities.includes('collectCheckMetrics'), activities.join(', '));
  });

  test('a run continued from a rollout begun with the window goes on reading the last hour', async () => {
    const activities = await continued('carried-new', { checkWindow: true, rolloutSince: null });
    assert.equal(activities.filter((a) => a === 'collectCheckMetrics').length, 2);
    assert.ok(!activities.includes('collectVersionMetrics'), activities.join(', '));
  });
});
