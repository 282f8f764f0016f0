import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../support/history-json.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';

const fixture = new URL('../fixtures/histories/check-degradation-pre-absolute.json', import.meta.url);

test('a degradation check recorded under the relative rule replays on today’s workflow code', async () => {
  const history = historyFromJson(readFileSync(fixture, 'utf8'));
  // Recorded on the earlier code (test/support/record-degradation-history.ts): 0.852 against 0.9, a relative drop of
  // 5.3% that started an emergency retraining. The absolute rule (4.8 points, within 0.05) would start none, so the
  // replay passes only because patched('degradation-absolute-drop') is false here and the old rule decides.
  const events = history.events ?? [];
  assert.ok(!events.some((e) => e.markerRecordedEventAttributes), 'no patch marker');
  assert.ok(
    events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes),
    'the recorded run started a retraining',
  );
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'check-degradation-recorded');
});
