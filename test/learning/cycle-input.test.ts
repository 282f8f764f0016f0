import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCycleInput } from '../../src/learning/cycle-input.js';

describe('learningCycle input', () => {
  test('defaults: 7 days, hourly checks, refine and train on', () => {
    assert.deepEqual(parseCycleInput({ applications: ['ticket-triage'] }), {
      ok: true,
      value: {
        applications: ['ticket-triage'],
        durationDays: 7,
        checkInterval: 3_600_000,
        autoRefine: true,
        autoTrain: true,
        modelId: 'reference',
      },
    });
  });

  test('bad fields are named', () => {
    assert.deepEqual(parseCycleInput({ applications: [] }), {
      ok: false,
      error: 'applications: Too small: expected array to have >=1 items',
    });
    const bad = parseCycleInput({ applications: ['a', 'a'], checkInterval: '30s', durationDays: 0 });
    assert.equal(bad.ok, false);
    assert.match(bad.error, /applications: must not repeat/);
    assert.match(bad.error, /durationDays: /);
    assert.match(bad.error, /checkInterval: must be at least 1m/);
  });
});
