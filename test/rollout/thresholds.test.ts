import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyThresholdsUpdate, DEFAULT_THRESHOLDS, parseThresholdsUpdate } from '../../src/rollout/thresholds.js';

describe('setThresholds update validator', () => {
  test('accepts a change to some thresholds and leaves the others as they were', () => {
    const update = parseThresholdsUpdate({ minPassRate: 0.8, maxLatencyP95Ratio: 1.5 });
    if (!update.ok) assert.fail(update.error);
    assert.deepEqual(applyThresholdsUpdate(DEFAULT_THRESHOLDS, update.value), {
      ...DEFAULT_THRESHOLDS,
      minPassRate: 0.8,
      maxLatencyP95Ratio: 1.5,
    });
  });

  const refusals: [string, unknown, string][] = [
    ['a negative rate', { maxErrorRate: -0.1 }, 'maxErrorRate: Too small: expected number to be >=0'],
    ['a pass rate above 1', { minPassRate: 1.2 }, 'minPassRate: Too big: expected number to be <=1'],
    ['a negative variance', { maxVariance: -1 }, 'maxVariance: Too small: expected number to be >=0'],
    [
      'a ratio under 1',
      { maxVarianceRatio: 0.9 },
      'maxVarianceRatio: must be at least 1 (a ratio under 1 rolls back a candidate equal to its baseline)',
    ],
    ['a rate given as text', { maxPassRateDrop: '0.02' }, 'maxPassRateDrop: Invalid input: expected number, received string'],
    ['an unknown threshold', { maxPassRate: 0.9 }, 'thresholds: Unrecognized key: "maxPassRate"'],
    ['an empty change', {}, 'thresholds: give at least one threshold to change'],
  ];
  for (const [what, update, error] of refusals) {
    test(`refuses ${what}`, () => {
      assert.deepEqual(parseThresholdsUpdate(update), { ok: false, error });
    });
  }
});
