/**
 * Records a checkDegradation history for the replay test: the last 6 hours at 0.852 against the previous week's 0.9
 * (fixed windows from a stub activity, no database), which the rule before the absolute drop (a relative drop of
 * 5.3% > 5%) judged degradation and answered by starting an emergency retrainModel. Run it on the workflow code a
 * replay test must stay compatible with (the code before a change that `patched()` guards), then commit the file:
 *
 *   node --import tsx test/support/record-degradation-history.ts test/fixtures/histories/check-degradation-pre-absolute.json
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { checkDegradation } from '../../workflows/contracts/check-degradation.js';
import { writeHistoryFile } from './history-json.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-degradation-history.ts <out.json>');

const recordedWindows = { recent: { passRate: 0.852, feedbackCount: 100 }, baseline: { passRate: 0.9, feedbackCount: 1000 } };

const env = await createTimeSkippingEnv();
const taskQueue = `degradation-record-${randomUUID()}`;
const worker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue,
  workflowBundle: await workflowBundle(),
  activities: { passRateWindows: () => Promise.resolve(recordedWindows) },
});
const running = worker.run();
try {
  const handle = await env.client.workflow.start(checkDegradation, {
    taskQueue,
    workflowId: 'check-degradation-recorded',
    args: [{ modelId: 'recorded' }],
  });
  const result = await handle.result();
  if (!result.degraded || !result.retraining?.started)
    throw new Error(`expected a started emergency retraining, got ${JSON.stringify(result)}`);
  await env.client.workflow
    .getHandle(result.retraining.workflowId)
    .terminate('recording over')
    .catch(() => undefined);
  const events = writeHistoryFile(out, await handle.fetchHistory());
  console.log(`${out}: ${events} events, ${result.reason}`);
} finally {
  worker.shutdown();
  await running;
  await env.teardown();
}
