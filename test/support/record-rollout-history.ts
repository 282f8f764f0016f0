/**
 * Records a canaryRollout history for the replay tests: a good candidate rolled out 10% → 50% → 100% on the
 * time-skipping server over the real reference stack, its history written as JSON. Run it on the workflow code a
 * replay test must stay compatible with (the code before a change that `patched()` guards), then commit the file:
 *
 *   node --import tsx test/support/record-rollout-history.ts test/fixtures/histories/canary-rollout-pre-window.json
 */
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { canaryRollout } from '../../workflows/contracts/canary-rollout.js';
import { writeHistoryFile } from './history-json.js';
import { startReferenceStack } from './reference-model.js';
import { drive, registerCopyOfV1, startRolloutWorker } from './rollout.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-rollout-history.ts <out.json>');

const env = await createTimeSkippingEnv();
const stack = await startReferenceStack();
const worker = await startRolloutWorker(env, stack);
try {
  await registerCopyOfV1(stack, 'good-1');
  const handle = await env.client.workflow.start(canaryRollout, {
    taskQueue: worker.taskQueue,
    workflowId: `rollout-${REFERENCE_MODEL_ID}-good-1`,
    args: [
      {
        modelId: REFERENCE_MODEL_ID,
        candidateVersion: 'good-1',
        stages: [{ percent: 10, dwell: '20m' }, { percent: 50, dwell: '20m' }, { percent: 100 }],
        checkInterval: '5m',
        minSamples: 10,
        thresholds: { maxLatencyP95Ratio: 10 },
      },
    ],
  });
  await drive(env, stack, handle, { interval: '5m', requests: 200 });
  const result = await handle.result();
  if (result.outcome !== 'promoted') throw new Error(`expected a promoted rollout, got ${result.outcome}: ${result.reason}`);
  const events = writeHistoryFile(out, await handle.fetchHistory());
  console.log(`${out}: ${events} events, ${result.totalChecks} checks, ${result.outcome}`);
} finally {
  await worker.stop();
  await stack.close();
  await env.teardown();
}
