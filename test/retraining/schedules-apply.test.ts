import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySchedules, learningCycleSchedule, retrainingSchedules } from '../../src/schedules/retraining.js';
import { createDevServerEnv } from '../../bench/support/temporal.js';

// Schedules need a real server: the time-skipping one does not implement them.
test('applying the schedules twice gives one of each; re-applying with another time zone updates them', async () => {
  const env = await createDevServerEnv();
  try {
    const first = await applySchedules(env.client, retrainingSchedules({ modelId: 'reference', timeZone: 'UTC' }));
    assert.deepEqual(
      first.map((c) => c.change),
      ['created', 'created', 'created'],
    );
    const second = await applySchedules(env.client, retrainingSchedules({ modelId: 'reference', timeZone: 'UTC' }));
    assert.deepEqual(
      second.map((c) => c.change),
      ['updated', 'updated', 'updated'],
    );

    const ids: string[] = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    assert.deepEqual(ids.sort(), [
      'learnloop-check-degradation-reference',
      'learnloop-check-new-data-reference',
      'learnloop-retrain-weekly-reference',
    ]);

    const weekly = env.client.schedule.getHandle('learnloop-retrain-weekly-reference');
    await weekly.pause('maintenance');
    await applySchedules(env.client, retrainingSchedules({ modelId: 'reference', timeZone: 'Europe/Berlin' }));
    const described = await weekly.describe();
    assert.equal(described.spec.timezone, 'Europe/Berlin');
    assert.equal(described.state.paused, true, "an operator's pause survives a re-apply");
    assert.equal(described.policies.overlap, 'SKIP');
    const next = described.info.nextActionTimes[0]!;
    // Sunday 02:00 in Berlin is 00:00 or 01:00 UTC.
    assert.equal(next.getUTCDay(), 0);
    assert.ok([0, 1].includes(next.getUTCHours()), next.toISOString());
    assert.equal(described.action.workflowType, 'retrainModel');

    // The weekly learning cycle is one flag away, and absent until then.
    await assert.rejects(env.client.schedule.getHandle('learnloop-learning-cycle-weekly').describe());
    await applySchedules(env.client, [learningCycleSchedule({ applications: ['ticket-triage'], timeZone: 'UTC' })]);
    const cycle = await env.client.schedule.getHandle('learnloop-learning-cycle-weekly').describe();
    assert.equal(cycle.action.workflowType, 'learningCycle');
  } finally {
    await env.teardown();
  }
});
