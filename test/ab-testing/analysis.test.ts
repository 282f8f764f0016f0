import assert from 'node:assert/strict';
import { test } from 'node:test';
import jStat from 'jstat';
import { analyzeAbTest } from '../../src/ab-testing/analysis.js';
import type { MetricsSnapshot } from '../../src/ab-testing/metrics.js';
import { holmAdjust } from '../../src/ab-testing/holm.js';
import { seededRandom } from '../../src/training/random.js';

interface VariantTruth {
  errorRate: number;
  latencyP99Ms: number;
  successRate: number;
  cpuMsPerRequest: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** Hourly snapshots whose metrics scatter around the variant's true values (jStat's normal sampler, seeded). */
function snapshots(truth: VariantTruth, count: number): MetricsSnapshot[] {
  return Array.from({ length: count }, () => {
    const p99 = Math.max(1, jStat.normal.sample(truth.latencyP99Ms, 15));
    return {
      requests: 1000,
      errorRate: clamp01(jStat.normal.sample(truth.errorRate, 0.005)),
      latencyP50Ms: p99 / 3,
      latencyP99Ms: p99,
      successRate: clamp01(jStat.normal.sample(truth.successRate, 0.015)),
      cpuMsPerRequest: Math.max(0, jStat.normal.sample(truth.cpuMsPerRequest, 0.8)),
      memoryBytesPerRequest: 4096,
    };
  });
}

const same: VariantTruth = { errorRate: 0.02, latencyP99Ms: 180, successRate: 0.71, cpuMsPerRequest: 11 };

test('two equal variants end inconclusive in at least 90% of 100 simulated tests at alpha 0.05', (t) => {
  jStat.setRandom(seededRandom(7));
  let inconclusive = 0;
  for (let i = 0; i < 100; i++) {
    const analysis = analyzeAbTest(snapshots(same, 24), snapshots(same, 24), { alpha: 0.05 });
    if (analysis.winner === null) inconclusive += 1;
  }
  t.diagnostic(`inconclusive: ${inconclusive} of 100`);
  assert.ok(inconclusive >= 90, `only ${inconclusive} of 100 equal-variant tests were inconclusive`);
});

test('a variant with lower error rate and latency and a higher success rate wins on points', () => {
  jStat.setRandom(seededRandom(11));
  const better: VariantTruth = { errorRate: 0.01, latencyP99Ms: 150, successRate: 0.76, cpuMsPerRequest: 11 };
  const analysis = analyzeAbTest(snapshots(same, 24), snapshots(better, 24));
  assert.equal(analysis.winner, 'B');
  const byMetric = Object.fromEntries(analysis.comparisons.map((c) => [c.metric, c]));
  for (const m of ['errorRate', 'latencyP99Ms', 'successRate'] as const) {
    assert.equal(byMetric[m]!.favours, 'B', m);
    const [lo, hi] = byMetric[m]!.confidenceInterval;
    assert.ok(lo <= byMetric[m]!.difference && byMetric[m]!.difference <= hi);
    assert.ok(byMetric[m]!.adjustedPValue >= byMetric[m]!.pValue);
  }
  assert.ok(byMetric.latencyP99Ms!.difference < 0 && byMetric.latencyP99Ms!.hedgesG < 0);
  assert.equal(analysis.points.B, analysis.comparisons.filter((c) => c.favours === 'B').length);
  assert.match(analysis.conclusion, /^variant B wins .*Holm-corrected/);
});

test('one point each is no significant difference', () => {
  jStat.setRandom(seededRandom(3));
  const fasterButFailing: VariantTruth = { ...same, latencyP99Ms: 120, successRate: 0.6 };
  const analysis = analyzeAbTest(snapshots(same, 24), snapshots(fasterButFailing, 24), { metrics: ['latencyP99Ms', 'successRate'] });
  assert.deepEqual(analysis.points, { A: 1, B: 1 });
  assert.equal(analysis.winner, null);
  assert.match(analysis.conclusion, /^no significant difference .*2 metrics/);
});

test('Holm adjustment: step-down multipliers m, m-1, ... kept monotone, in input order', () => {
  // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → raised to 0.06 to stay monotone.
  const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  const expected = [0.03, 0.06, 0.06, 0.02];
  adjusted.forEach((p, i) => {
    assert.ok(Math.abs(p - expected[i]!) < 1e-15, `${i}: ${p}`);
  });
  assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1]);
});

test('metrics not measured in every snapshot, or with too few snapshots, are left out and named', () => {
  jStat.setRandom(seededRandom(5));
  const a = snapshots(same, 6).map((s) => ({ ...s, cpuMsPerRequest: null }));
  const analysis = analyzeAbTest(a, snapshots(same, 6));
  assert.deepEqual(analysis.untested, [{ metric: 'cpuMsPerRequest', reason: 'not measured in every snapshot' }]);
  assert.equal(analysis.comparisons.length, 3);
  assert.match(analysis.conclusion, /3 metrics tested/);
  const early = analyzeAbTest(snapshots(same, 1), snapshots(same, 1));
  assert.equal(early.untested.length, 4);
  assert.equal(early.winner, null);
});
