import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../support/history-json.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';

const fixture = new URL('../fixtures/histories/canary-rollout-pre-window.json', import.meta.url);

test('a rollout recorded before the one-hour check window replays on today’s workflow code', async () => {
  const history = historyFromJson(readFileSync(fixture, 'utf8'));
  assert.ok((history.events?.length ?? 0) > 100);
  // Recorded on the earlier code: no patch marker, every check read with collectVersionMetrics. Replaying it takes
  // patched('canary-check-window') = false; without the patch the first check's collectCheckMetrics meets this
  // history's collectVersionMetrics and the replay fails with a nondeterminism error ([TMPRL1100]).
  const events = history.events ?? [];
  const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  assert.ok(!events.some((e) => e.markerRecordedEventAttributes), 'no patch marker');
  assert.ok(scheduled.includes('collectVersionMetrics') && !scheduled.includes('collectCheckMetrics'));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'rollout-reference-good-1');
});
