/**
 * Records a learningCycle history for the replay test: a one-day cycle of three applications behind a real router,
 * checked every 2 hours on the time-skipping server, paused and resumed on its way, through analysis, refinement and
 * the retrainModel child (the test stand-in of test/learning/fixtures/cycle-workflows.ts), its history written as
 * JSON. Run it on the workflow code a replay test must stay compatible with, then commit the file:
 *
 *   node --import tsx test/support/record-learning-cycle-history.ts test/fixtures/histories/learning-cycle-pre-steps.json
 */
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { createLearningActivities } from '../../activities/learning.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { learningCycle, pauseSignal, resumeSignal } from '../../workflows/contracts/learning-cycle.js';
import { deployableApplications } from '../../src/learning/applications/deployable.js';
import { throwawayDatabase } from '../../bench/support/database.js';
import { writeHistoryFile } from './history-json.js';
import { startRouterOn } from './router.js';
import { createTimeSkippingEnv, signalSettled } from '../../bench/support/temporal.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-learning-cycle-history.ts <out.json>');

const env = await createTimeSkippingEnv();
const db = await throwawayDatabase();
const router = await startRouterOn(db);
const worker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue: 'learning-recorded',
  workflowsPath: fileURLToPath(new URL('../learning/fixtures/cycle-workflows.ts', import.meta.url)),
  activities: createLearningActivities(
    {
      pool: db.pool,
      logger: createLogger({ level: 'silent' }),
      config: loadConfig({ DATABASE_URL: db.url, LEARNLOOP_ROUTER_URL: router.url }),
    },
    { applications: deployableApplications },
  ),
});
const running = worker.run();
try {
  const handle = await env.client.workflow.start(learningCycle, {
    taskQueue: 'learning-recorded',
    workflowId: 'cycle-recorded',
    args: [{ applications: ['ticket-triage', 'invoice-extractor', 'address-normalizer'], durationDays: 1, checkInterval: '2h' }],
  });
  await env.sleep('5h');
  await signalSettled(handle, pauseSignal);
  await env.sleep('3h');
  await signalSettled(handle, resumeSignal);
  const report = await handle.result();
  const events = writeHistoryFile(out, await handle.fetchHistory());
  console.log(`${out}: ${events} events, ${report.checksRun} checks, ${report.status}`);
} finally {
  worker.shutdown();
  await running;
  await router.close();
  await db.drop();
  await env.teardown();
}
