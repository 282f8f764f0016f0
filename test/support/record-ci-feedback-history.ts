/**
 * Records a ciFeedback history for the replay test: one JUnit event with failing tests processed on the
 * time-skipping server over the real experiment activities and a fresh database, its history written as JSON. Run
 * it on the workflow code a replay test must stay compatible with (the code before a change that `patched()`
 * guards), then commit the file:
 *
 *   node --import tsx test/support/record-ci-feedback-history.ts test/fixtures/histories/ci-feedback-pre-debugging.json
 */
import { readFileSync } from 'node:fs';
import { writeHistoryFile } from './history-json.js';
import { startCiFeedback } from '../../src/execution-feedback/ci-dispatch.js';
import { storeCiEvent } from '../../src/execution-feedback/ci-event-store.js';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { feedbackFromTests } from '../../src/execution-feedback/feedback.js';
import { parseJUnit } from '../../src/execution-feedback/junit.js';
import { startAbTestWorker } from './ab-test-worker.js';
import { throwawayDatabase } from '../../bench/support/database.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

const out = process.argv[2];
if (!out) throw new Error('usage: record-ci-feedback-history.ts <out.json>');

const db = await throwawayDatabase();
const env = await createTimeSkippingEnv();
const worker = await startAbTestWorker(env, db, async () => {});
try {
  await createContext(db.pool, 'ctx-recorded', { template: 'Write it.', examples: [{ id: 'ex-1', input: 'q', output: 'a' }] }, 'test');
  const junit = readFileSync(new URL('../fixtures/execution-feedback/junit-node.xml', import.meta.url), 'utf8');
  const eventId = 'ci-recorded-1';
  await storeCiEvent(db.pool, {
    eventId,
    contextId: 'ctx-recorded',
    task: 'cart totals',
    kind: 'junit',
    feedback: feedbackFromTests(parseJUnit(junit)),
  });
  await startCiFeedback(env.client, eventId, worker.taskQueue);
  const handle = env.client.workflow.getHandle(eventId);
  const result = await handle.result();
  const events = writeHistoryFile(out, await handle.fetchHistory());
  console.log(
    `${out}: ${events} events, context ${String(result.contextId)} v${String(result.fromVersion)} → v${String(result.toVersion)}`,
  );
} finally {
  await worker.stop();
  await env.teardown();
  await db.drop();
}
