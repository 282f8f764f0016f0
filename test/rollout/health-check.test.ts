import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateCheck, type CheckInput } from '../../src/rollout/health-check.js';
import type { VersionMetrics } from '../../src/rollout/metrics.js';
import { initialSequentialState, type SequentialState } from '../../src/rollout/sequential.js';
import { DEFAULT_THRESHOLDS } from '../../src/rollout/thresholds.js';
import { createTrafficSimulator, metricsFor } from '../../bench/support/rollout-traffic.js';

const SEQUENTIAL = { enabled: true, alpha: 0.05, mixingSd: 0.05 };
const WINDOW_RULE = { ...SEQUENTIAL, enabled: false };
const baseline = metricsFor('v1', { samples: 1800, passRate: 0.85, variance: 0.02, latencyP95Ms: 100 });

function check(
  candidate: Partial<VersionMetrics>,
  options: { baseline?: VersionMetrics | null; sequential?: CheckInput['sequential']['config']; state?: SequentialState } = {},
) {
  return evaluateCheck({
    candidate: metricsFor('v2', { samples: 200, passRate: 0.85, variance: 0.02, latencyP95Ms: 100, ...candidate }),
    baseline: options.baseline === undefined ? baseline : options.baseline,
    thresholds: DEFAULT_THRESHOLDS,
    minSamples: 100,
    sequential: { config: options.sequential ?? SEQUENTIAL, state: options.state ?? initialSequentialState() },
  });
}

const decision = (result: ReturnType<typeof check>) => ({
  decision: result.decision,
  reasons: result.reasons,
  failedRules: result.failedRules,
});
const passes = { decision: 'pass', reasons: [], failedRules: [] };

describe('health check: absolute thresholds, each at its boundary', () => {
  const alone = { baseline: null };
  const noBaseline = ['no baseline version: baseline-relative rules not applied'];

  test('pass rate: 0.70 passes, under 0.70 rolls back', () => {
    assert.deepEqual(decision(check({ passRate: 0.7 }, alone)), { decision: 'pass', reasons: noBaseline, failedRules: [] });
    assert.deepEqual(decision(check({ passRate: 0.69 }, alone)), {
      decision: 'fail',
      reasons: ['candidate pass rate 0.690 < 0.700'],
      failedRules: ['minPassRate'],
    });
  });

  test('implementation variance: 0.05 passes, over 0.05 rolls back', () => {
    assert.equal(check({ variance: 0.05 }, alone).decision, 'pass');
    assert.deepEqual(decision(check({ variance: 0.051 }, alone)), {
      decision: 'fail',
      reasons: ['candidate implementation variance 0.051 > 0.050'],
      failedRules: ['maxVariance'],
    });
  });

  test('error rate: 0.05 passes, over 0.05 rolls back', () => {
    assert.equal(check({ errorRate: 0.05 }, alone).decision, 'pass');
    assert.deepEqual(decision(check({ errorRate: 0.06 }, alone)), {
      decision: 'fail',
      reasons: ['candidate error rate 0.060 > 0.050'],
      failedRules: ['maxErrorRate'],
    });
  });

  test('every broken rule is reported, not just the first', () => {
    assert.deepEqual(decision(check({ passRate: 0.6, errorRate: 0.2 }, alone)).failedRules, ['minPassRate', 'maxErrorRate']);
  });
});

describe('health check: relative to the baseline, each at its boundary', () => {
  test('variance: 1.5 × the baseline’s passes, more rolls back', () => {
    assert.deepEqual(decision(check({ variance: 0.03 })), passes);
    assert.deepEqual(decision(check({ variance: 0.0302 })), {
      decision: 'fail',
      reasons: ['candidate implementation variance 0.030 > 1.5 × baseline 0.020'],
      failedRules: ['maxVarianceRatio'],
    });
  });

  test('latency p95: 1.2 × the baseline’s passes, more rolls back', () => {
    assert.deepEqual(decision(check({ latencyP95Ms: 120 })), passes);
    assert.deepEqual(decision(check({ latencyP95Ms: 121 })), {
      decision: 'fail',
      reasons: ['candidate latency p95 121 ms > 1.2 × baseline 100 ms'],
      failedRules: ['maxLatencyP95Ratio'],
    });
  });

  test('pass rate judged per window (sequential test off): a 2-point drop passes, more rolls back', () => {
    assert.deepEqual(decision(check({ passRate: 0.83 }, { sequential: WINDOW_RULE })), passes);
    assert.deepEqual(decision(check({ passRate: 0.829 }, { sequential: WINDOW_RULE })), {
      decision: 'fail',
      reasons: ['candidate pass rate 0.829 is 2.1 points below baseline 0.850 (> 2.0)'],
      failedRules: ['maxPassRateDrop'],
    });
  });

  test('a baseline with too little feedback in the window is not compared with', () => {
    const thinBaseline = { ...baseline, samples: 40 };
    assert.deepEqual(decision(check({ variance: 0.04, passRate: 0.75 }, { baseline: thinBaseline, sequential: WINDOW_RULE })), {
      decision: 'pass',
      reasons: [
        'baseline v1 has 40 feedback rows in this window, fewer than minSamples 100: baseline-relative rules on this window not applied',
      ],
      failedRules: [],
    });
  });
});

describe('health check: insufficient data', () => {
  test('a window with fewer than minSamples candidate rows decides nothing, however bad it looks', () => {
    const result = check({ samples: 99, passRate: 0.1, errorRate: 0.9 });
    assert.deepEqual(decision(result), {
      decision: 'insufficient_data',
      reasons: ['candidate v2 has 99 feedback rows in this window, fewer than minSamples 100'],
      failedRules: [],
    });
  });

  test('its rows still count towards the sequential test', () => {
    const result = check({ samples: 50, passRate: 0.8 });
    assert.equal(result.sequentialState.windows, 1);
    assert.equal(result.sequentialState.candidate.n, 50);
  });

  test('a window where the baseline served nothing (the 100% stage) leaves the sequential test as it was', () => {
    const state = check({}).sequentialState;
    const at100 = check({}, { baseline: { ...baseline, samples: 0, passRate: 0, passRateSumSq: 0 }, state });
    assert.deepEqual(at100.sequentialState, state);
    assert.equal(at100.decision, 'pass');
  });
});

describe('health check: pass-rate drop judged by the sequential test', () => {
  test('one noisy window 2.5 points down does not roll back, where the per-window rule would', () => {
    assert.equal(check({ passRate: 0.825 }, { sequential: WINDOW_RULE }).decision, 'fail');
    const sequential = check({ passRate: 0.825 });
    assert.deepEqual(decision(sequential), passes);
    assert.equal(sequential.sequentialEvidence?.worseThanTolerance, false);
  });

  test('a candidate 7 points worse is rolled back within a few windows, saying why', () => {
    const traffic = createTrafficSimulator(7);
    let state = initialSequentialState();
    for (let window = 1; window <= 12; window++) {
      const result = evaluateCheck({
        candidate: traffic.window('v2', 300, 0.78),
        baseline: traffic.window('v1', 2700, 0.85),
        thresholds: DEFAULT_THRESHOLDS,
        minSamples: 100,
        sequential: { config: SEQUENTIAL, state },
      });
      // The state travels between checks through workflow history, as JSON.
      state = JSON.parse(JSON.stringify(result.sequentialState)) as SequentialState;
      if (result.decision === 'fail') {
        assert.deepEqual(result.failedRules, ['maxPassRateDrop']);
        assert.match(
          result.reasons[0]!,
          /^candidate pass rate is more than 2\.0 points below baseline: sequential test over \d+ windows estimates \d+\.\d ± \d\.\d points, likelihood ratio [\d.e+]+ ≥ 20\.0$/,
        );
        assert.ok(window <= 6, `rolled back only at window ${window}`);
        return;
      }
    }
    assert.fail('a candidate 7 points worse was never rolled back');
  });
});

describe('health check: the last hour judged, each row once in the sequential test', () => {
  test('the rules judge the check’s window while the sequential test folds in only the rows since the last check', () => {
    const hour = metricsFor('v2', { samples: 1200, passRate: 0.8, passRateSumSq: 960, variance: 0.02, latencyP95Ms: 100 });
    const hourBaseline = metricsFor('v1', { samples: 10_800, passRate: 0.85, passRateSumSq: 9180, variance: 0.02, latencyP95Ms: 100 });
    const fresh = metricsFor('v2', { samples: 100, passRate: 0.8, passRateSumSq: 80, variance: 0.02, latencyP95Ms: 100 });
    const freshBaseline = metricsFor('v1', { samples: 900, passRate: 0.85, passRateSumSq: 765, variance: 0.02, latencyP95Ms: 100 });
    const result = evaluateCheck({
      candidate: hour,
      baseline: hourBaseline,
      thresholds: DEFAULT_THRESHOLDS,
      minSamples: 100,
      sequential: { config: SEQUENTIAL, state: initialSequentialState() },
      sinceLastCheck: { candidate: fresh, baseline: freshBaseline },
    });
    assert.equal(result.sequentialState.windows, 1);
    assert.deepEqual(result.sequentialState.candidate, { n: 100, sum: 80, sumSq: 80 });
    assert.deepEqual(result.sequentialState.baseline, { n: 900, sum: 765, sumSq: 765 });
  });

  test('twelve checks over overlapping one-hour windows count each of their rows once in the sequential test', () => {
    let state = initialSequentialState();
    for (let k = 1; k <= 12; k++) {
      const fresh = metricsFor('v2', { samples: 100, passRate: 0.85, passRateSumSq: 85 });
      const freshBaseline = metricsFor('v1', { samples: 900, passRate: 0.85, passRateSumSq: 765 });
      const result = evaluateCheck({
        // The hour holds this check's rows and the previous checks' (up to 12 intervals of 5 minutes).
        candidate: metricsFor('v2', { samples: 100 * k, passRate: 0.85, passRateSumSq: 85 * k }),
        baseline: metricsFor('v1', { samples: 900 * k, passRate: 0.85, passRateSumSq: 765 * k }),
        thresholds: DEFAULT_THRESHOLDS,
        minSamples: 100,
        sequential: { config: SEQUENTIAL, state },
        sinceLastCheck: { candidate: fresh, baseline: freshBaseline },
      });
      state = result.sequentialState;
    }
    assert.equal(state.windows, 12);
    assert.equal(state.candidate.n, 1200);
    assert.equal(state.baseline.n, 10_800);
  });

  test('a floor broken over the hour fails the check even when the rows since the last check look fine', () => {
    const result = evaluateCheck({
      candidate: metricsFor('v2', { samples: 1200, passRate: 0.65, variance: 0.02, latencyP95Ms: 100 }),
      baseline,
      thresholds: DEFAULT_THRESHOLDS,
      minSamples: 100,
      sequential: { config: SEQUENTIAL, state: initialSequentialState() },
      sinceLastCheck: { candidate: metricsFor('v2', { samples: 100, passRate: 0.9, variance: 0.02, latencyP95Ms: 100 }), baseline },
    });
    assert.equal(result.decision, 'fail');
    assert.deepEqual(result.failedRules, ['minPassRate']);
  });
});
