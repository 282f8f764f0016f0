import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../support/history-json.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';

// Recorded by test/support/record-continued-rollout-history.ts on the workflow code before canaryRollout was split
// into named steps over one state value: the refactor must issue the same commands, and take the carry it left.
const fixture = (run: string) => new URL(`../fixtures/histories/canary-rollout-continued-${run}.json`, import.meta.url);
const workflowId = 'rollout-reference-v3-continued';

test('a rollout’s first run, paused and continued as new on the earlier code, replays on today’s workflow code', async () => {
  const history = historyFromJson(readFileSync(fixture('first-run'), 'utf8'));
  const events = history.events ?? [];
  assert.ok(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pause'));
  assert.ok(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes, 'ends in continue-as-new');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
});

test('a rollout’s last run, started from the earlier code’s carry and promoted, replays on today’s workflow code', async () => {
  const history = historyFromJson(readFileSync(fixture('last-run'), 'utf8'));
  const events = history.events ?? [];
  const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  assert.equal(input.length, 2, 'the input and the carry');
  assert.ok(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'promote'));
  assert.ok(events.at(-1)?.workflowExecutionCompletedEventAttributes, 'ends promoted');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
});
