import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeVariance } from '../../src/learning/variance.js';
import { outcome } from './fixtures.js';

/** 100 paired inputs; `labels` of them differ in label and `days` of them in day. */
function pairs(labels: number, days: number) {
  const inputs = Array.from({ length: 100 }, (_, i) => ({ text: `q${i}` }));
  const baseline = inputs.map((input) => outcome({ input, output: { label: 'a', day: '2026-11-25' } }));
  const candidate = inputs.map((input, i) =>
    outcome({ variant: 'v2', input, output: { label: i < labels ? 'b' : 'a', day: i >= 100 - days ? '11/25/2026' : '2026-11-25' } }),
  );
  return analyzeVariance({ application: 'app', baselineVariant: 'v1', variant: 'v2', baseline, candidate });
}

describe('variance analyzer', () => {
  test('a 5% difference rate is not significant; 6% is', () => {
    assert.equal(pairs(5, 0).significant, false);
    assert.equal(pairs(6, 0).significant, true);
    assert.equal(pairs(6, 0).differenceRate, 0.06);
  });

  test('a field differing on 10% of inputs is not ambiguous; on 11% it is, with a clarification naming both forms', () => {
    assert.deepEqual(pairs(0, 10).ambiguousAreas, []);
    const [area] = pairs(0, 11).ambiguousAreas;
    assert.equal(area?.area, 'response.day');
    assert.equal(area.variance, 0.11);
    assert.deepEqual(area.baselineValues[0], '2026-11-25');
    assert.match(area.clarification, /"2026-11-25" and "11\/25\/2026"/);
  });

  test('only outputs on the same inputs are compared', () => {
    const baseline = [outcome({ input: { text: 'x' } })];
    const candidate = [outcome({ variant: 'v2', input: { text: 'y' }, output: { label: 'other' } })];
    const v = analyzeVariance({ application: 'app', baselineVariant: 'v1', variant: 'v2', baseline, candidate });
    assert.deepEqual([v.pairs, v.differenceRate], [0, 0]);
  });
});
