import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeDegradation } from '../../src/retraining/degradation.js';

const windows = (recent: number | null, recentN: number, baseline: number | null, baselineN: number) => ({
  recent: { passRate: recent, feedbackCount: recentN },
  baseline: { passRate: baseline, feedbackCount: baselineN },
});

test("the specs' rule by default: a pass rate more than 0.05 below the previous week's is degradation; exactly 0.05 is not", () => {
  const within = judgeDegradation(windows(0.852, 100, 0.9, 1000));
  assert.equal(within.rule, 'absolute');
  assert.equal(within.degraded, false, '4.8 points: a 5.3% relative drop, but not more than 0.05');
  assert.match(within.reason, /4\.8 points change, within 5 points/);
  assert.equal(judgeDegradation(windows(0.85, 100, 0.9, 1000)).degraded, false, 'exactly 0.05 is not more than 0.05');
  assert.equal(judgeDegradation(windows(0.95, 100, 1, 1000)).degraded, false);
  const drop = judgeDegradation(windows(0.849, 100, 0.9, 1000));
  assert.equal(drop.degraded, true);
  assert.ok(Math.abs(drop.drop! - 0.051) < 1e-12);
  assert.match(drop.reason, /5\.1 points drop, more than 5 points/);
  assert.equal(judgeDegradation(windows(0.99, 100, 0.9, 1000)).degraded, false, 'a better pass rate is not degradation');
  assert.equal(judgeDegradation(windows(0.87, 100, 0.9, 1000), { maxDrop: 0.02 }).degraded, true);
});

test('a pass rate more than 5% below the previous week is degradation; exactly 5% is not', () => {
  const drop = judgeDegradation(windows(0.85, 100, 0.9, 1000), { rule: 'relative' });
  assert.equal(drop.degraded, true);
  assert.ok(Math.abs(drop.relativeDrop! - 0.05 / 0.9) < 1e-12);
  assert.match(drop.reason, /5\.6% drop, more than 5%/);
  assert.equal(judgeDegradation(windows(0.95, 100, 1, 1000), { rule: 'relative' }).degraded, false, 'a 5% drop is not more than 5%');
  assert.equal(
    judgeDegradation(windows(0.949, 100, 1, 1000), { maxRelativeDrop: 0.05 }).degraded,
    true,
    'maxRelativeDrop alone selects the relative rule',
  );
  assert.equal(
    judgeDegradation(windows(0.99, 100, 0.9, 1000), { rule: 'relative' }).degraded,
    false,
    'a better pass rate is not degradation',
  );
});

test('too little feedback in either window says nothing', () => {
  for (const w of [windows(0, 19, 1, 1000), windows(0, 100, 1, 5), windows(null, 0, null, 0)]) {
    const v = judgeDegradation(w);
    assert.equal(v.degraded, false);
    assert.equal(v.relativeDrop, null);
    assert.match(v.reason, /too little feedback/);
  }
  assert.equal(judgeDegradation(windows(0, 3, 1, 3), { minFeedback: 3 }).degraded, true);
});
