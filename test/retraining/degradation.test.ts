import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeDegradation } from '../../src/retraining/degradation.js';

const windows = (recent: number | null, recentN: number, baseline: number | null, baselineN: number) => ({
  recent: { passRate: recent, feedbackCount: recentN },
  baseline: { passRate: baseline, feedbackCount: baselineN },
});

test('a pass rate more than 5% below the previous week is degradation; exactly 5% is not', () => {
  const drop = judgeDegradation(windows(0.85, 100, 0.9, 1000));
  assert.equal(drop.degraded, true);
  assert.ok(Math.abs(drop.relativeDrop! - 0.05 / 0.9) < 1e-12);
  assert.match(drop.reason, /5\.6% drop, more than 5%/);
  assert.equal(judgeDegradation(windows(0.95, 100, 1, 1000)).degraded, false, 'a 5% drop is not more than 5%');
  assert.equal(judgeDegradation(windows(0.949, 100, 1, 1000)).degraded, true);
  assert.equal(judgeDegradation(windows(0.99, 100, 0.9, 1000)).degraded, false, 'a better pass rate is not degradation');
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
