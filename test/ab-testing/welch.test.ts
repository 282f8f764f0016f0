import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { welchTTest } from '../../src/ab-testing/welch.js';

interface ScipyCase {
  name: string;
  a: number[];
  b: number[];
  alpha: number;
  t: number;
  df: number;
  pValue: number;
  confidenceInterval: [number, number];
}

// Numbers computed once by scipy.stats.ttest_ind(a, b, equal_var=False); see welch-scipy.py beside the JSON.
const fixture = JSON.parse(readFileSync(new URL('../fixtures/ab-testing/welch-scipy.json', import.meta.url), 'utf8')) as {
  welch: ScipyCase[];
};

function assertClose(actual: number, expected: number, relTol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(err <= relTol, `${what}: ${actual} vs SciPy ${expected} (relative error ${err.toExponential(2)})`);
}

/**
 * README's claim, relative to SciPy; the worst over the fixture's cases measured t 2.8e-15, df 1.7e-16 (one ulp),
 * p 2.3e-8 (jStat's incomplete beta against SciPy's), interval ends 1.4e-8 of the interval's width.
 */
const AGREEMENT = { t: 3e-15, df: 2e-16, p: 3e-8, interval: 2e-8 };

for (const c of fixture.welch) {
  test(`Welch t-test matches SciPy: ${c.name}`, () => {
    const r = welchTTest(c.a, c.b, c.alpha);
    assertClose(r.t, c.t, AGREEMENT.t, 't');
    assertClose(r.df, c.df, AGREEMENT.df, 'df');
    assertClose(r.pValue, c.pValue, AGREEMENT.p, 'p');
    // Relative to the interval's width: an end near 0 has no meaningful relative error of its own.
    const width = c.confidenceInterval[1] - c.confidenceInterval[0];
    for (const i of [0, 1] as const) {
      const err = Math.abs(r.confidenceInterval[i] - c.confidenceInterval[i]) / width;
      assert.ok(
        err <= AGREEMENT.interval,
        `interval end ${i}: ${r.confidenceInterval[i]} vs SciPy ${c.confidenceInterval[i]} (${err.toExponential(2)} of the width)`,
      );
    }
  });
}

test('effect sizes: Cohen d over the pooled SD, Hedges g shrinks it by J(n1+n2-2)', () => {
  // Means 3 and 5, both sample variances 2.5 → pooled SD √2.5; J(8) = Γ(4)/(√4·Γ(3.5)) = 6/(2·3.32335) = 0.902703.
  const r = welchTTest([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]);
  assertClose(r.cohensD, -2 / Math.sqrt(2.5), 1e-12, 'd');
  assertClose(r.hedgesG, r.cohensD * 0.9027033336764101, 1e-9, 'g');
});

test('constant samples: equal means give p = 1, different means p = 0', () => {
  assert.equal(welchTTest([0, 0, 0], [0, 0]).pValue, 1);
  const r = welchTTest([0.1, 0.1], [0, 0, 0]);
  assert.equal(r.pValue, 0);
  assert.deepEqual(r.confidenceInterval, [0.1, 0.1]);
});

test('fewer than two values in a sample is refused', () => {
  assert.throws(() => welchTTest([1], [1, 2]), /at least 2 values/);
});
