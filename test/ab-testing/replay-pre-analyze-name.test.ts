import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../support/history-json.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';

const fixture = new URL('../fixtures/histories/ab-test-pre-analyze-name.json', import.meta.url);

test('an abTest recorded when its analysis activity was called analyseAbTest replays on today’s workflow code', async () => {
  const history = historyFromJson(readFileSync(fixture, 'utf8'));
  // Recorded by test/support/record-ab-test-history.ts before patched('analyze-ab-test-name'): no marker, the
  // activity scheduled as analyseAbTest. Replaying it must schedule that name again, not analyzeAbTest.
  const events = history.events ?? [];
  const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  assert.ok(!events.some((e) => e.markerRecordedEventAttributes), 'no patch marker');
  assert.ok(scheduled.includes('analyseAbTest') && !scheduled.includes('analyzeAbTest'));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'ab-recorded');
});
