/**
 * Records an abTest history for the replay test: a three-hour test between two versions and contexts on the
 * time-skipping server over the real experiment activities and a fresh database, no traffic served (so it ends
 * inconclusive after its analysis), its history written as JSON. Run it on the workflow code a replay test must stay
 * compatible with (the code before a change that `patched()` guards), then commit the file:
 *
 *   node --import tsx test/support/record-ab-test-history.ts test/fixtures/histories/ab-test-pre-analyze-name.json
 */
import { createContext } from '../../src/execution-feedback/context-store.js';
import { abTest } from '../../workflows/contracts/ab-test.js';
import { startAbTestWorker } from './ab-test-worker.js';
import { throwawayDatabase } from '../../bench/support/database.js';
import { writeHistoryFile } from './history-json.js';
import { catalogueVersions } from '../../bench/support/echo-model.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-ab-test-history.ts <out.json>');

const db = await throwawayDatabase();
const env = await createTimeSkippingEnv();
const worker = await startAbTestWorker(env, db, async () => {});
try {
  await catalogueVersions(db.pool, 'recorded', ['v1', 'v2']);
  await createContext(db.pool, 'plain', { template: 'Answer.' }, 'test');
  await createContext(db.pool, 'with-examples', { template: 'Answer.', examples: [{ id: 'ex-1', input: 'q', output: 'a' }] }, 'test');
  const result = await env.client.workflow.execute(abTest, {
    taskQueue: worker.taskQueue,
    workflowId: 'ab-recorded',
    args: [
      {
        modelId: 'recorded',
        durationHours: 3,
        variantA: { version: 'v1', contextId: 'plain', contextVersion: 1 },
        variantB: { version: 'v2', contextId: 'with-examples', contextVersion: 1 },
      },
    ],
  });
  const events = writeHistoryFile(out, await env.client.workflow.getHandle('ab-recorded').fetchHistory());
  console.log(`${out}: ${events} events, ${result.snapshotsTaken} snapshots, ${result.outcome}`);
} finally {
  await worker.stop();
  await env.teardown();
  await db.drop();
}
