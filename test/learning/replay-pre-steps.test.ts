import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../support/history-json.js';

const fixture = new URL('../fixtures/histories/learning-cycle-pre-steps.json', import.meta.url);
const workflowsPath = fileURLToPath(new URL('./fixtures/cycle-workflows.ts', import.meta.url));

test('a learning cycle recorded before the workflow was split into named phases replays on today’s workflow code', async () => {
  // Recorded by test/support/record-learning-cycle-history.ts on that code: paused and resumed while monitoring,
  // then analysis, refinement and a retrainModel child. The phases must issue the same commands in the same order.
  const history = historyFromJson(readFileSync(fixture, 'utf8'));
  const events = history.events ?? [];
  const signals = events.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  assert.deepEqual(signals, ['pause', 'resume']);
  assert.ok(events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'retrainModel'));
  assert.ok(events.at(-1)?.workflowExecutionCompletedEventAttributes, 'completed');
  await Worker.runReplayHistory({ workflowsPath }, history, 'cycle-recorded');
});
