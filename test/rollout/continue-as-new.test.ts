import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { abortSignal, canaryRollout, progressQuery } from '../../workflows/contracts/canary-rollout.js';
import { startReferenceStack } from '../support/reference-model.js';
import { registerCopyOfV1, startRolloutWorker } from '../support/rollout.js';
import { waitFor } from '../../bench/support/wait-for.js';
import { createDevServerEnv } from '../../bench/support/temporal.js';

// A real dev server told to suggest continue-as-new after 40 history events (production's default is thousands), so
// a long manual stage rolls its history over within seconds.
test('a long stage continues as new, carrying its state: weights are not set again, checks keep counting, queries answer', async () => {
  const env = await createDevServerEnv({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  const stack = await startReferenceStack();
  const worker = await startRolloutWorker(env, stack);
  try {
    await registerCopyOfV1(stack, 'v3');
    const handle = await env.client.workflow.start(canaryRollout, {
      taskQueue: worker.taskQueue,
      workflowId: `rollout-${REFERENCE_MODEL_ID}-v3`,
      args: [
        {
          modelId: REFERENCE_MODEL_ID,
          candidateVersion: 'v3',
          stages: [{ percent: 10, dwell: 'manual' }, { percent: 100 }],
          checkInterval: '1s',
          maxInconclusiveChecks: 1000,
        },
      ],
    });
    await waitFor('a second run', async () => (await handle.describe()).runId !== handle.firstExecutionRunId, 60_000);
    const before = await handle.query(progressQuery);
    await waitFor(
      'checks to go on in the new run',
      async () => (await handle.query(progressQuery)).totalChecks > before.totalChecks + 2,
      30_000,
    );
    const after = await handle.query(progressQuery);
    assert.equal(after.state, 'running');
    assert.equal(after.percent, 10);
    assert.equal(after.stageStartedAt, before.stageStartedAt, 'the stage did not restart');
    assert.ok(after.checks.length > 0 && after.checks.length <= 20);

    await handle.signal(abortSignal, { reason: 'enough' });
    const result = await handle.result();
    assert.equal(result.outcome, 'aborted');
    assert.ok(result.totalChecks >= after.totalChecks);
    const { rows } = await stack.db.pool.query<{ step: string; n: number }>(
      `SELECT details->>'step' AS step, count(*)::int AS n FROM deployment_events WHERE workflow_id = $1 GROUP BY 1 ORDER BY 1`,
      [handle.workflowId],
    );
    assert.deepEqual(rows, [
      { step: 'rollback', n: 1 },
      { step: 'stage-0', n: 1 },
    ]);
    const { rows: checks } = await stack.db.pool.query(
      'SELECT count(DISTINCT check_no)::int AS n, count(*)::int AS total FROM rollout_checks WHERE workflow_id = $1',
      [handle.workflowId],
    );
    assert.equal(checks[0].n, checks[0].total, 'check numbers are not reused across runs');
    assert.equal(checks[0].total, result.totalChecks);
  } finally {
    await worker.stop();
    await stack.close();
    await env.teardown();
  }
});
