/**
 * Records the histories of a canaryRollout that continues as new, for the replay tests: a real dev server told to
 * suggest continue-as-new after 40 events, a manual first stage checked every second, paused after its first check
 * (so that a run continues as new while paused and carries that over), resumed in a later run, then promoted once traffic lets a check pass. Writes
 * the first run's history (it ends in continue-as-new: the carry it built is in its last event) and the last run's
 * (it starts from a carry and ends promoted). Run it on the workflow code the replay must stay compatible with:
 *
 *   node --import tsx test/support/record-continued-rollout-history.ts test/fixtures/histories/canary-rollout-continued
 */
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { canaryRollout, pauseSignal, progressQuery, promoteSignal, resumeSignal } from '../../workflows/contracts/canary-rollout.js';
import { writeHistoryFile } from './history-json.js';
import { startReferenceStack } from './reference-model.js';
import { registerCopyOfV1, sendTraffic, startRolloutWorker } from './rollout.js';
import { createDevServerEnv } from '../../bench/support/temporal.js';
import { waitFor } from '../../bench/support/wait-for.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-continued-rollout-history.ts <out-prefix>');

const env = await createDevServerEnv({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
const stack = await startReferenceStack();
const worker = await startRolloutWorker(env, stack);
try {
  await registerCopyOfV1(stack, 'v3');
  const workflowId = `rollout-${REFERENCE_MODEL_ID}-v3-continued`;
  const first = await env.client.workflow.start(canaryRollout, {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [
      {
        modelId: REFERENCE_MODEL_ID,
        candidateVersion: 'v3',
        stages: [{ percent: 10, dwell: 'manual' }, { percent: 100 }],
        checkInterval: '1s',
        maxInconclusiveChecks: 1000,
        minSamples: 10,
        thresholds: { maxLatencyP95Ratio: 10 },
      },
    ],
  });
  const latest = env.client.workflow.getHandle(workflowId);
  const runs = new Set<string>([first.firstExecutionRunId]);
  const runId = async () => (await latest.describe()).runId;
  await waitFor('a first check', async () => (await latest.query(progressQuery)).totalChecks > 0, 30_000);
  await latest.signal(pauseSignal);
  await waitFor('a run continued while paused', async () => !runs.has(await runId()), 60_000);
  runs.add(await runId());
  const paused = await latest.query(progressQuery);
  if (paused.state !== 'paused') throw new Error(`expected the second run paused, got ${paused.state}`);
  await latest.signal(resumeSignal);
  await waitFor('checks after resuming', async () => (await latest.query(progressQuery)).totalChecks > paused.totalChecks + 2, 30_000);
  // Feedback enough for a check to pass: a manual stage is promoted by the first passing check after the signal.
  await sendTraffic(stack, 300, 1);
  await latest.signal(promoteSignal, {});
  const result = await first.result();
  if (result.outcome !== 'promoted') throw new Error(`expected a promoted rollout, got ${result.outcome}: ${result.reason}`);
  const firstEvents = writeHistoryFile(
    `${out}-first-run.json`,
    await env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).fetchHistory(),
  );
  const lastEvents = writeHistoryFile(`${out}-last-run.json`, await latest.fetchHistory());
  console.log(`${out}: first run ${firstEvents} events, last run ${lastEvents} events, ${result.totalChecks} checks, ${result.outcome}`);
} finally {
  await worker.stop();
  await stack.close();
  await env.teardown();
}
