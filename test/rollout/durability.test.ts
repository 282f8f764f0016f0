import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { simulateTraffic } from '../../src/simulate/traffic.js';
import { canaryRollout, progressQuery } from '../../workflows/contracts/canary-rollout.js';
import { startReferenceStack } from '../support/reference-model.js';
import { assertOneEventPerStep, registerCopyOfV1 } from '../support/rollout.js';
import { waitFor, within } from '../../bench/support/wait-for.js';
import { createDevServerEnv } from '../../bench/support/temporal.js';

const cli = fileURLToPath(new URL('../../bin/learnloop.js', import.meta.url));

/** The real `learnloop worker` in its own process, as operators run it. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'worker'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the worker process to start', () => out.includes('Worker ') || child.exitCode !== null, 60_000);
  assert.equal(child.exitCode, null, `worker exited: ${out}`);
  return child;
}

test('a worker killed with SIGKILL mid-dwell: a new worker finishes the rollout, one deployment event per step', async () => {
  const env = await createDevServerEnv();
  const stack = await startReferenceStack();
  let worker: ChildProcess | undefined;
  const traffic = new AbortController();
  try {
    await registerCopyOfV1(stack, 'v3');
    const workerEnv = {
      TEMPORAL_ADDRESS: env.address,
      DATABASE_URL: stack.db.url,
      LEARNLOOP_ARTIFACT_DIR: `${stack.home}/artifacts`,
      ROLLOUT_METRICS_LAG_MS: '300',
    };
    worker = await startWorkerProcess(workerEnv);
    const handle = await env.client.workflow.start(canaryRollout, {
      taskQueue: 'learnloop',
      workflowId: `rollout-${REFERENCE_MODEL_ID}-v3`,
      args: [
        {
          modelId: REFERENCE_MODEL_ID,
          candidateVersion: 'v3',
          stages: [{ percent: 10, dwell: '8s' }, { percent: 50, dwell: '4s' }, { percent: 100 }],
          checkInterval: '1s',
          minSamples: 5,
          // Latency on a loaded 2-core machine swings by 2× between 1-second windows; this test is about crashes.
          thresholds: { maxLatencyP95Ratio: 10 },
        },
      ],
    });
    // Real time on the dev server: traffic flows the whole time, as in production.
    const sending = (async () => {
      for (let round = 0; !traffic.signal.aborted; round++) {
        await simulateTraffic({
          routerUrl: stack.router.url,
          modelId: REFERENCE_MODEL_ID,
          durationMs: 1_000,
          concurrency: 2,
          users: 1_000_000,
          seed: round,
        });
      }
    })();

    await waitFor(
      'the 10% stage to run a few checks',
      async () => {
        const p = await handle.query(progressQuery);
        return p.percent === 10 && p.totalChecks >= 3;
      },
      60_000,
    );
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    // The new worker starts once the rollout has work only a worker can move on: a workflow task (a timer fired
    // after the kill) or an activity (one the dead worker held, or one scheduled since).
    await waitFor(
      'the rollout to have work waiting for a worker',
      async () => {
        const { raw } = await handle.describe();
        return raw.pendingWorkflowTask != null || (raw.pendingActivities ?? []).length > 0;
      },
      60_000,
    );
    worker = await startWorkerProcess(workerEnv);

    // 12 s of dwell and its checks; generous for a busy 2-core machine.
    const result = await within('the rollout to finish', handle.result(), 300_000);
    traffic.abort();
    await sending;
    assert.equal(result.outcome, 'promoted', result.reason);

    await assertOneEventPerStep(stack.db.pool, handle.workflowId);
    const { rows: checks } = await stack.db.pool.query(
      'SELECT count(*)::int AS n, max(check_no) AS last FROM rollout_checks WHERE workflow_id = $1',
      [handle.workflowId],
    );
    assert.equal(checks[0].n, result.totalChecks);
    assert.equal(checks[0].last, result.totalChecks, 'check numbers carry on across the crash without gaps or repeats');
  } finally {
    traffic.abort();
    worker?.kill('SIGKILL');
    await stack.close();
    await env.teardown();
  }
});
