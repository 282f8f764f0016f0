import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { planSampleSize } from '../../src/ab-testing/sample-size.js';

// samplesPerArm computed once with scipy.stats.norm.ppf by welch-scipy.py beside the JSON.
const fixture = JSON.parse(readFileSync(new URL('../fixtures/ab-testing/welch-scipy.json', import.meta.url), 'utf8')) as {
  sampleSize: { baseline: number; mde: number; alpha: number; power: number; samplesPerArm: number }[];
};

for (const c of fixture.sampleSize) {
  test(`sample size for ${c.baseline} → +${c.mde} at alpha ${c.alpha}, power ${c.power} matches SciPy`, () => {
    const plan = planSampleSize({ baseline: c.baseline, mde: c.mde, alpha: c.alpha, power: c.power, requestsPerHour: 1000 });
    assert.equal(plan.samplesPerArm, c.samplesPerArm);
    assert.equal(plan.totalSamples, 2 * c.samplesPerArm);
  });
}

test('hours: the smaller arm gets its share of the traffic', () => {
  const even = planSampleSize({ baseline: 0.71, mde: 0.02, requestsPerHour: 1000 });
  assert.equal(even.hours, even.samplesPerArm / 500);
  const skewed = planSampleSize({ baseline: 0.71, mde: 0.02, requestsPerHour: 1000, trafficSplit: 90 });
  assert.equal(skewed.hours, even.samplesPerArm / 100);
});

test('a rate that would pass 1 is refused naming mde', () => {
  assert.throws(() => planSampleSize({ baseline: 0.99, mde: 0.02, requestsPerHour: 10 }), /mde/);
});
