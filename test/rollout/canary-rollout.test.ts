import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import {
  abortSignal,
  canaryRollout,
  pauseSignal,
  progressQuery,
  promoteSignal,
  resumeSignal,
  setThresholdsUpdate,
} from '../../workflows/contracts/canary-rollout.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';
import { assertOneEventPerStep, drive, isRunning, registerCopyOfV1, sendTraffic, startRolloutWorker } from '../support/rollout.js';
import { waitFor } from '../../bench/support/wait-for.js';
import { createTimeSkippingEnv, signalSettled } from '../../bench/support/temporal.js';

// Hours of dwell pass in seconds on the time-skipping server; traffic is real: requests through the real router,
// the reference model's real outputs, feedback from really checking them, rows in the real PostgreSQL.
// Latency on a 2-core CI machine running the router, the test and the servers varies by 2× from one window to the
// next, so the latency ratio rule is loosened here (health-check.test.ts holds it at its boundary).
const FAST = {
  stages: [{ percent: 10, dwell: '20m' }, { percent: 50, dwell: '20m' }, { percent: 100 }],
  checkInterval: '5m',
  minSamples: 10,
  thresholds: { maxLatencyP95Ratio: 10 },
};
const PER_INTERVAL = 200;

describe('canaryRollout on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let stack: ReferenceStack;
  let worker: Awaited<ReturnType<typeof startRolloutWorker>>;
  let serial = 0;

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

  /** A fresh good candidate per test, v1 again at 100%: each test starts from production v1 alone. */
  async function freshCandidate(): Promise<string> {
    const version = `good-${++serial}`;
    await registerCopyOfV1(stack, version);
    await stack.db.pool.query(`UPDATE model_versions SET status = 'registered' WHERE model_id = $1 AND version = 'v2'`, [
      REFERENCE_MODEL_ID,
    ]);
    const { rows } = await stack.db.pool.query(`SELECT version FROM model_aliases WHERE model_id = $1 AND alias = 'production'`, [
      REFERENCE_MODEL_ID,
    ]);
    assert.equal(rows[0].version, 'v1', 'each test starts with v1 in production');
    return version;
  }

  const start = (input: Record<string, unknown>, id = `rollout-${REFERENCE_MODEL_ID}-${String(input.candidateVersion)}`) =>
    env.client.workflow.start(canaryRollout, { taskQueue: worker.taskQueue, workflowId: id, args: [input] });

  const routedWeights = async () => {
    const { rows } = await stack.db.pool.query<{ version: string; percent: number }>(
      'SELECT version, percent FROM routing_weights WHERE model_id = $1',
      [REFERENCE_MODEL_ID],
    );
    return Object.fromEntries(rows.map((r) => [r.version, r.percent]));
  };

  test('a bad candidate (v2, really worse) is rolled back at 10% and then gets no traffic', async () => {
    const handle = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: 'v2', ...FAST });
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL });
    const result = await handle.result();

    assert.equal(result.outcome, 'rolled_back');
    assert.equal(result.finalPercent, 0);
    const failed = result.checks.at(-1)!;
    assert.equal(failed.decision, 'fail');
    assert.equal(failed.percent, 10, 'rolled back during the 10% stage');
    assert.ok(failed.candidate!.passRate < 0.9, `v2 pass rate in the failing window: ${failed.candidate!.passRate}`);

    assert.deepEqual(await routedWeights(), { v1: 100, v2: 0 });
    const { rows: rollbacks } = await stack.db.pool.query(
      'SELECT from_version, to_version, reason, metrics FROM rollback_events WHERE workflow_id = $1',
      [handle.workflowId],
    );
    assert.equal(rollbacks.length, 1);
    assert.equal(rollbacks[0].from_version, 'v2');
    assert.equal(rollbacks[0].to_version, 'v1');
    assert.ok(rollbacks[0].metrics.candidate.samples >= FAST.minSamples);
    const { rows: status } = await stack.db.pool.query(
      `SELECT status, metadata FROM model_versions WHERE model_id = $1 AND version = 'v2'`,
      [REFERENCE_MODEL_ID],
    );
    assert.equal(status[0].status, 'failed');
    assert.equal(status[0].metadata.archived.workflowId, handle.workflowId);
    await replay(handle);

    // The router really stopped sending users to v2, once the change reached it by NOTIFY.
    await waitFor('the router to route 0% to v2', () => stack.router.table.weights(REFERENCE_MODEL_ID)?.v2 === 0, 30_000);
    const served = await fetch(`${stack.router.url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelId: REFERENCE_MODEL_ID, input: { text: 'a login form with a password field' }, userKey: 'any-user' }),
    }).then((r) => r.json() as Promise<{ version: string }>);
    assert.equal(served.version, 'v1');
  });

  test('a good candidate goes 10% → 50% → 100% and is promoted, one deployment event per step', async () => {
    const candidate = await freshCandidate();
    const handle = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: candidate, ...FAST });
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL });
    const result = await handle.result();
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.equal(result.finalPercent, 100);
    assert.deepEqual(await routedWeights(), { [candidate]: 100, v1: 0 });

    await assertOneEventPerStep(stack.db.pool, handle.workflowId);
    const { rows: aliases } = await stack.db.pool.query(`SELECT version FROM model_aliases WHERE model_id = $1 AND alias = 'production'`, [
      REFERENCE_MODEL_ID,
    ]);
    assert.equal(aliases[0].version, candidate);
    const { rows: checks } = await stack.db.pool.query('SELECT count(*)::int AS n FROM rollout_checks WHERE workflow_id = $1', [
      handle.workflowId,
    ]);
    assert.equal(checks[0].n, result.totalChecks);
    // Each check judged the last hour, so the checks' windows overlap: together they hold the candidate's rows
    // several times over (the sequential test folds each in once: health-check.test.ts, check-windows.test.ts).
    const { rows: fed } = await stack.db.pool.query('SELECT count(*)::int AS n FROM feedback WHERE model_id = $1 AND version = $2', [
      REFERENCE_MODEL_ID,
      candidate,
    ]);
    const judged = result.checks.reduce((sum, c) => sum + (c.candidate?.samples ?? 0), 0);
    assert.ok(judged > 2 * fed[0].n, `rows judged over all checks ${judged}, candidate rows ${String(fed[0].n)}`);
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    assert.ok(
      scheduled.includes('collectCheckMetrics') && events.some((e) => e.markerRecordedEventAttributes),
      'a new rollout records the check-window patch',
    );
    await replay(handle);
    await resetToV1();
  });

  test('pause holds the stage past its dwell, checks go on, and resume continues to promotion', async () => {
    const candidate = await freshCandidate();
    const handle = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: candidate, ...FAST });
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL, maxTicks: 2 });
    await signalSettled(handle, pauseSignal);
    // Twice the stage's dwell at 10%.
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL, maxTicks: 8 });
    const paused = await handle.query(progressQuery);
    assert.equal(paused.state, 'paused');
    assert.equal(paused.percent, 10);
    assert.ok(paused.totalChecks >= 9, `checks went on while paused: ${paused.totalChecks}`);
    assert.ok(paused.dwellRemainingMs! > 0, 'the dwell did not count down while paused');
    assert.deepEqual(await routedWeights(), { [candidate]: 10, v1: 90 });

    await signalSettled(handle, resumeSignal);
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL });
    const result = await handle.result();
    assert.equal(result.outcome, 'promoted', result.reason);
    await resetToV1();
  });

  test('abort mid-stage puts 100% back on the baseline and records why', async () => {
    const candidate = await freshCandidate();
    const handle = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: candidate, ...FAST });
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL, maxTicks: 2 });
    assert.deepEqual(await routedWeights(), { [candidate]: 10, v1: 90 });
    await signalSettled(handle, abortSignal, { reason: 'customer escalation INC-42' });
    const result = await handle.result();
    assert.equal(result.outcome, 'aborted');
    assert.equal(result.reason, 'customer escalation INC-42');
    assert.deepEqual(await routedWeights(), { [candidate]: 0, v1: 100 });
    const { rows } = await stack.db.pool.query('SELECT reason FROM rollback_events WHERE workflow_id = $1', [handle.workflowId]);
    assert.deepEqual(rows, [{ reason: 'customer escalation INC-42' }]);
    assert.equal((await handle.query(progressQuery)).state, 'aborted');
  });

  test('a manual stage waits for promote, and promote skips the dwell', async () => {
    const candidate = await freshCandidate();
    const handle = await start({
      modelId: REFERENCE_MODEL_ID,
      candidateVersion: candidate,
      stages: [{ percent: 10, dwell: 'manual' }, { percent: 50, dwell: '12h' }, { percent: 100 }],
      checkInterval: '5m',
      minSamples: 10,
      thresholds: FAST.thresholds,
    });
    await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL, maxTicks: 8 });
    let progress = await handle.query(progressQuery);
    assert.equal(progress.percent, 10, 'a manual stage does not advance by itself');
    assert.equal(progress.waitingFor, 'promote');

    await signalSettled(handle, promoteSignal);
    await drive(env, stack, handle, {
      interval: '5m',
      requests: PER_INTERVAL,
      until: async () => (await handle.query(progressQuery)).percent === 50,
    });
    progress = await handle.query(progressQuery);
    assert.equal(progress.percent, 50);
    assert.ok(progress.dwellRemainingMs! > 11 * 3_600_000, '12h dwell ahead');
    // promote again skips the 12-hour dwell: promoted after the next passing checks, well inside the dwell.
    await signalSettled(handle, promoteSignal);
    const ticks = await drive(env, stack, handle, { interval: '5m', requests: PER_INTERVAL });
    assert.ok(ticks < 20, `promoted after ${ticks} intervals instead of 144`);
    assert.equal((await handle.result()).outcome, 'promoted');
    await resetToV1();
  });

  test('a preRollout webhook that refuses fails the rollout before any user sees the candidate', async () => {
    const calls: unknown[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        calls.push(JSON.parse(body));
        res.writeHead(503).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const candidate = await freshCandidate();
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/gate`;
      const handle = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: candidate, ...FAST, webhooks: { preRollout: url } });
      const result = await handle.result();
      assert.equal(result.outcome, 'rolled_back');
      assert.match(result.reason, /preRollout webhook failed: preRollout webhook answered 503/);
      assert.equal(calls.length, 3, 'retried by its retry policy, then counted as a failed check');
      assert.deepEqual(calls[0], {
        webhook: 'preRollout',
        workflowId: handle.workflowId,
        modelId: REFERENCE_MODEL_ID,
        candidateVersion: candidate,
        baselineVersion: 'v1',
        stage: 1,
      });
      const { rows } = await stack.db.pool.query(`SELECT details->>'step' AS step FROM deployment_events WHERE workflow_id = $1`, [
        handle.workflowId,
      ]);
      assert.deepEqual(rows, [{ step: 'rollback' }], 'no stage ever gave the candidate traffic');
    } finally {
      hook.close();
    }
  });

  test('onFailure "pause" with failureLimit 1: a bad candidate is held at 10% and paused after its second failed check', async () => {
    await stack.db.pool.query(`UPDATE model_versions SET status = 'registered' WHERE model_id = $1 AND version = 'v2'`, [
      REFERENCE_MODEL_ID,
    ]);
    const handle = await start(
      { modelId: REFERENCE_MODEL_ID, candidateVersion: 'v2', ...FAST, failureLimit: 1, onFailure: 'pause' },
      `rollout-${REFERENCE_MODEL_ID}-v2-pause`,
    );
    await drive(env, stack, handle, {
      interval: '5m',
      requests: PER_INTERVAL,
      until: async () => (await handle.query(progressQuery)).state === 'paused',
    });
    const progress = await handle.query(progressQuery);
    assert.equal(progress.state, 'paused');
    assert.equal(progress.percent, 10);
    const failed = progress.checks.filter((c) => c.decision === 'fail');
    assert.ok(failed.length >= 2, `failed checks: ${failed.length}`);
    assert.match(progress.reason ?? '', /^failed check: /);
    assert.deepEqual(await routedWeights(), { v2: 10, v1: 90 }, 'paused: the weights stay as they are');
    await signalSettled(handle, abortSignal, { reason: 'operator saw the pause' });
    assert.equal((await handle.result()).outcome, 'aborted');
  });

  test('bad input fails at once, naming the field, without retrying', async () => {
    const handle = await start(
      {
        modelId: REFERENCE_MODEL_ID,
        candidateVersion: 'v2',
        stages: [{ percent: 50, dwell: '1h' }, { percent: 10, dwell: '1h' }, { percent: 100 }],
      },
      'rollout-bad-input',
    );
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(String(err.cause?.message), /stages\[1\]\.percent: must be greater than stages\[0\]\.percent/);
      assert.equal((err.cause as { nonRetryable?: boolean }).nonRetryable, true);
      return true;
    });
    const unknownVersion = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: 'v404' });
    await assert.rejects(unknownVersion.result(), (err: unknown) => {
      assert.match(String((err as WorkflowFailedError).cause?.message), /candidateVersion: reference@v404 is not registered/);
      return true;
    });
  });

  test("only the defaults given from the Web UI: 10% (8–12% of requests observed) for 6h, checks every 5 minutes, the specs' thresholds", async () => {
    const candidate = await freshCandidate();
    const handle = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: candidate });
    await waitFor('the router to send 10% to the candidate', () => stack.router.table.weights(REFERENCE_MODEL_ID)?.[candidate] === 10);
    // One interval with many distinct users: the split the router really applied at 10%, and ≥ 100 candidate rows.
    // sendTraffic stops after a minute of real time, in which a loaded 2-core machine serves fewer than 2,000
    // requests: up to three minutes of it, all inside the first 5-minute interval (time is not skipped meanwhile).
    const splitSoFar = async () => {
      const { rows } = await stack.db.pool.query<{ version: string; n: number }>(
        `SELECT version, count(*)::int AS n FROM inference_requests
          WHERE model_id = $1 AND at > (SELECT at FROM deployment_events WHERE workflow_id = $2 AND details->>'step' = 'stage-0')
          GROUP BY version`,
        [REFERENCE_MODEL_ID, handle.workflowId],
      );
      return Object.fromEntries(rows.map((r) => [r.version, r.n])) as Record<string, number>;
    };
    for (let round = 1; round <= 3 && ((await splitSoFar())[candidate] ?? 0) < 120; round++) await sendTraffic(stack, 2_000, round);
    const counts = await splitSoFar();
    const share = counts[candidate]! / (counts[candidate]! + counts.v1!);
    assert.ok(
      share >= 0.08 && share <= 0.12,
      `candidate share during the 10% stage: ${share.toFixed(4)} of ${counts[candidate]! + counts.v1!}`,
    );

    await env.sleep('5m');
    await waitFor('the first check', async () => (await handle.query(progressQuery)).totalChecks >= 1);
    const progress = await handle.query(progressQuery);
    assert.equal(progress.state, 'running');
    assert.equal(progress.stages, 3);
    assert.equal(progress.percent, 10);
    assert.equal(progress.thresholds.minPassRate, 0.7);
    assert.equal(progress.thresholds.maxPassRateDrop, 0.02);
    assert.ok(progress.dwellRemainingMs! > 5.5 * 3_600_000 && progress.dwellRemainingMs! <= 6 * 3_600_000);
    assert.equal(progress.totalChecks, 1);
    assert.equal(progress.checks[0]!.decision, 'pass', progress.checks[0]!.reason);

    // A second rollout of the same model, under another id, is refused while this one runs.
    const second = await start({ modelId: REFERENCE_MODEL_ID, candidateVersion: 'v2' }, 'rollout-reference-v2-again');
    await assert.rejects(second.result(), (err: unknown) => {
      assert.match(String((err as WorkflowFailedError).cause?.message), /reference already has a rollout running: rollout-reference-good-/);
      return true;
    });

    // setThresholds refuses nonsense and applies the rest.
    await assert.rejects(handle.executeUpdate(setThresholdsUpdate, { args: [{ minPassRate: -0.1 }] }), (err: unknown) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match(String(err.cause?.message), /minPassRate: Too small: expected number to be >=0/);
      return true;
    });
    const updated = await handle.executeUpdate(setThresholdsUpdate, { args: [{ minPassRate: 0.8 }] });
    assert.equal(updated.minPassRate, 0.8);
    assert.equal((await handle.query(progressQuery)).thresholds.minPassRate, 0.8);

    await signalSettled(handle, abortSignal, { reason: 'test over' });
    assert.equal((await handle.result()).outcome, 'aborted');
    assert.equal(await isRunning(handle), false);
  });

  /** The run's recorded history replays against the workflow code without a nondeterminism error. */
  async function replay(handle: WorkflowHandle) {
    const history = await handle.fetchHistory();
    assert.ok((history.events?.length ?? 0) > 20);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
  }

  async function resetToV1() {
    const { writeWeights } = await import('../../src/db/routing-weights.js');
    await stack.registry.setAlias(REFERENCE_MODEL_ID, 'production', 'v1', { changedBy: 'test', reason: 'reset' });
    await stack.registry.setStatus(REFERENCE_MODEL_ID, 'v1', 'production');
    await writeWeights(stack.db.pool, REFERENCE_MODEL_ID, { v1: 100 }, 'test reset');
  }
});
