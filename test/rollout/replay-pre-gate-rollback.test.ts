import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../support/history-json.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';

const fixture = new URL('../fixtures/histories/canary-rollout-pre-gate-rollback.json', import.meta.url);

test('a rollout held by a failed stage gate on the earlier code replays on today’s workflow code', async () => {
  const history = historyFromJson(readFileSync(fixture, 'utf8'));
  const events = history.events ?? [];
  assert.ok(events.length > 50);
  // Recorded on the code before patched('canary-stage-gate-rollback') (test/support/record-held-gate-history.ts):
  // a copy of v2 against v2, whose stage gates failed by chance and held until a later check passed them, then
  // promoted. Replaying it takes the patch as false, so a failed gate holds again; without the patch the failed gate
  // rolls back where this history has the next check's timer, and the replay fails with a nondeterminism error.
  const markers = events.flatMap((e) => e.markerRecordedEventAttributes?.details?.patch_data?.payloads ?? []);
  assert.ok(
    !markers.some((p) =>
      Buffer.from(p.data ?? [])
        .toString()
        .includes('canary-stage-gate-rollback'),
    ),
    'no stage-gate patch marker',
  );
  const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  assert.ok(!scheduled.includes('rollback'), 'the rollout never rolled back');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'rollout-reference-v2-copy-held');
});
