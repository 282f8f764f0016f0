import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startCiFeedback } from '../../src/execution-feedback/ci-dispatch.js';
import { storeCiEvent } from '../../src/execution-feedback/ci-event-store.js';
import { createContext, readContext } from '../../src/execution-feedback/context-store.js';
import { ciEnvelopeSchema, feedbackFromEnvelope } from '../../src/execution-feedback/feedback.js';
import type { CiEventOutcome } from '../../activities/execution-feedback.js';
import { DEBUGGING_STEP_PATCH } from '../../workflows/contracts/ci-feedback.js';
import { startAbTestWorker } from '../support/ab-test-worker.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { historyFromJson } from '../support/history-json.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

// ciFeedback on the time-skipping server with the real activities and a fresh database; its histories replayed
// against the workflow code as it is now.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url), 'utf8');
let db: ThrowawayDatabase;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startAbTestWorker>>;
let bundle: WorkflowBundleWithSourceMap;

before(async () => {
  db = await throwawayDatabase();
  env = await createTimeSkippingEnv();
  worker = await startAbTestWorker(env, db, async () => {});
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../support/ab-testing-and-feedback-workflows.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  await createContext(db.pool, 'ctx-wf', { template: 'Write it.' }, 'test');
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (worker as typeof worker | undefined)?.stop();
  await (env as typeof env | undefined)?.teardown();
  await (db as typeof db | undefined)?.drop();
});

const replay = (history: Parameters<typeof Worker.runReplayHistory>[1], workflowId: string) =>
  Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'ci-feedback-replay' }, history, workflowId);

async function process(eventId: string, fields: Record<string, unknown>): Promise<CiEventOutcome> {
  const feedback = feedbackFromEnvelope(
    ciEnvelopeSchema.parse({
      contextId: 'ctx-wf',
      task: 'orders',
      build: { success: true, errors: [] },
      qualityGates: { passed: true, violations: [] },
      ...fields,
    }),
  );
  await storeCiEvent(db.pool, { eventId, contextId: 'ctx-wf', task: 'orders', kind: 'envelope', feedback });
  await startCiFeedback(env.client, eventId, worker.taskQueue);
  return env.client.workflow.getHandle<() => Promise<CiEventOutcome>>(eventId).result();
}

test('a ciFeedback history recorded before the debugging step replays on the current code', async () => {
  const history = historyFromJson(readFileSync(new URL('../fixtures/histories/ci-feedback-pre-debugging.json', import.meta.url), 'utf8'));
  await replay(history, 'ci-recorded-1');
});

test('an event with a trace runs the debugging step after the learning step: the fix is learned, the next failure gets it recommended; both histories replay', async () => {
  const fixed = await process('wf-fix', {
    build: { success: false, errors: ['KeyError in find_order'] },
    debugging: {
      trace: fixture('trace-python-7.txt'),
      fix: { caseId: 'PR-1', fixType: 'input-validation', contextChange: { constraint: 'Check the order exists.' } },
    },
  });
  assert.deepEqual(fixed.improvements, [{ type: 'build_failure', issues: ['build_errors'], constraintId: 'build_failure:wf-fix' }]);
  assert.equal(fixed.debugging!.outcome, 'learned');

  const failed = await process('wf-fail', {
    build: { success: false, errors: ['KeyError in find_order'] },
    debugging: { trace: fixture('trace-python-42.txt') },
  });
  assert.equal(failed.debugging!.outcome, 'recommended');
  assert.equal(failed.debugging!.recurrences, 1);
  assert.equal(failed.debugging!.contextVersion, failed.toVersion + 1);
  assert.ok((await readContext(db.pool, 'ctx-wf')).document.constraints.some((c) => c.id === 'debug:wf-fail'));

  const plain = await process('wf-plain', { build: { success: true, errors: [] } });
  assert.equal(plain.debugging, undefined);
  assert.deepEqual(plain.improvements, []);

  for (const id of ['wf-fix', 'wf-fail', 'wf-plain']) {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    // patched() records a 'core_patch' marker naming the patch.
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    assert.equal(markers.length, id === 'wf-plain' ? 0 : 1, `${id}: the ${DEBUGGING_STEP_PATCH} marker only where the step ran`);
    await replay(history, id);
  }
});
