/**
 * Records a canaryRollout history whose stage gate fails: a copy of v2 rolled out against v2 itself in many stages,
 * under health-check thresholds loose enough that every check passes, so that only the stage gate judges it; after
 * the first stage a candidate must match the baseline, which a copy falls short of by chance at one stage or
 * another. Recorded on the workflow code before PATCH_STAGE_GATE_ROLLBACK, where a failed gate held the stage until
 * a later check passed it: the rollout is promoted in the end, after more checks than its dwells need.
 *
 *   node --import tsx test/support/record-held-gate-history.ts test/fixtures/histories/canary-rollout-pre-gate-rollback.json
 */
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { canaryRollout } from '../../workflows/contracts/canary-rollout.js';
import { writeHistoryFile } from './history-json.js';
import { startReferenceStack } from './reference-model.js';
import { drive, startRolloutWorker } from './rollout.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-held-gate-history.ts <out.json>');

const env = await createTimeSkippingEnv();
const stack = await startReferenceStack();
const worker = await startRolloutWorker(env, stack);
try {
  const v2 = await stack.registry.get(REFERENCE_MODEL_ID, 'v2');
  await stack.registry.register({ modelId: REFERENCE_MODEL_ID, version: 'v2-copy', file: new URL(v2.artifactUri).pathname });
  const handle = await env.client.workflow.start(canaryRollout, {
    taskQueue: worker.taskQueue,
    workflowId: `rollout-${REFERENCE_MODEL_ID}-v2-copy-held`,
    args: [
      {
        modelId: REFERENCE_MODEL_ID,
        candidateVersion: 'v2-copy',
        baselineVersion: 'v2',
        stages: [...[10, 20, 30, 40, 50, 60, 70, 80, 90].map((percent) => ({ percent, dwell: '10m' })), { percent: 100 }],
        checkInterval: '5m',
        minSamples: 10,
        thresholds: {
          minPassRate: 0,
          maxVariance: 1,
          maxErrorRate: 1,
          maxPassRateDrop: 1,
          maxVarianceRatio: 1000,
          maxLatencyP95Ratio: 1000,
        },
      },
    ],
  });
  await drive(env, stack, handle, { interval: '5m', requests: 200, maxTicks: 60 });
  const result = await handle.result();
  // A stage's gate is asked once its dwell (two checks here) is over; every check beyond those was a held gate.
  const held = result.totalChecks - 2 * 9;
  if (result.outcome !== 'promoted' || held < 1)
    throw new Error(`expected a promoted rollout held at a gate, got ${result.outcome} after ${result.totalChecks} checks`);
  const events = writeHistoryFile(out, await handle.fetchHistory());
  console.log(`${out}: ${events} events, ${result.totalChecks} checks, ${result.outcome}`);
} finally {
  await worker.stop();
  await stack.close();
  await env.teardown();
}
