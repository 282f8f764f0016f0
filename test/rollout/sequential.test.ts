import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  accumulateWindow,
  initialSequentialState,
  sequentialConfigSchema,
  testPassRateDrop,
  type SequentialState,
} from '../../src/rollout/sequential.js';
import { evaluateCheck } from '../../src/rollout/health-check.js';
import { DEFAULT_THRESHOLDS } from '../../src/rollout/thresholds.js';
import { createTrafficSimulator, metricsFor } from '../../bench/support/rollout-traffic.js';

const ALPHA = 0.05;
const TOLERANCE = 0.02;
const test_ = { alpha: ALPHA, mixingSd: 0.05, tolerance: TOLERANCE };

/**
 * Rollouts on simulated traffic, the product's health check (evaluateCheck) run after every 5-minute window: 6h at
 * 10% then 12h at 50% of 1,200 feedback rows per window, default thresholds but the floor, minSamples 100. `sequential` false is
 * the specs' rule (this window's means more than maxPassRateDrop apart). Returns the share of rollouts whose check
 * failed on the pass-rate drop, and the window each did in.
 */
function simulateRollouts(runs: number, candidatePassRate: number, options: { baselinePassRate?: number; sequential?: boolean } = {}) {
  const { baselinePassRate = 0.85, sequential = true } = options;
  const config = sequentialConfigSchema.parse({ enabled: sequential, alpha: ALPHA });
  const windowsToRollback: number[] = [];
  for (let run = 0; run < runs; run++) {
    const traffic = createTrafficSimulator(9_000 + run);
    let state = initialSequentialState();
    for (let window = 1; window <= 216; window++) {
      const candidateRows = window <= 72 ? 120 : 600;
      const check = evaluateCheck({
        candidate: traffic.window('v2', candidateRows, candidatePassRate),
        baseline: traffic.window('v1', 1200 - candidateRows, baselinePassRate),
        // The absolute floor is off so the drop rule is the only one that can decide (a 120-row window of a 0.8
        // candidate dips under 0.7 now and then).
        thresholds: { ...DEFAULT_THRESHOLDS, minPassRate: 0, maxPassRateDrop: TOLERANCE },
        minSamples: 100,
        sequential: { config, state },
      });
      state = check.sequentialState;
      assert.ok(
        check.failedRules.every((r) => r === 'maxPassRateDrop'),
        `only the pass-rate drop can fail here: ${check.reasons.join('; ')}`,
      );
      if (check.failedRules.includes('maxPassRateDrop')) {
        windowsToRollback.push(window);
        break;
      }
    }
  }
  return { rolledBack: windowsToRollback.length / runs, windowsToRollback };
}

describe('sequential test on the pass-rate difference', () => {
  test('a candidate exactly as good as the baseline is rolled back in at most alpha of rollouts', () => {
    const { rolledBack } = simulateRollouts(400, 0.85);
    assert.ok(rolledBack <= ALPHA, `false rollbacks ${rolledBack}`);
  });

  test('a candidate exactly maxPassRateDrop worse (the worst it may be) is rolled back in at most alpha of rollouts', () => {
    // The hardest good case: the null hypothesis at its edge, checked 216 times per rollout.
    const { rolledBack } = simulateRollouts(400, 0.83);
    assert.ok(rolledBack <= ALPHA, `rollbacks ${rolledBack}`);
  });

  test('the same looks at each window’s means (the specs’ rule, sequential off) roll back most good candidates', () => {
    const { rolledBack } = simulateRollouts(100, 0.85, { sequential: false });
    assert.ok(rolledBack >= 0.9, `only ${rolledBack * 100} of 100 good candidates rolled back by the per-window rule`);
  });

  test('a candidate 5 points worse is always caught, within the first stage', () => {
    const { rolledBack, windowsToRollback } = simulateRollouts(100, 0.8);
    assert.equal(rolledBack, 1);
    assert.ok(Math.max(...windowsToRollback) <= 72, `slowest detection at window ${Math.max(...windowsToRollback)}`);
  });

  test('its state survives JSON, the way it travels through workflow history', () => {
    const traffic = createTrafficSimulator(1);
    let state = initialSequentialState();
    for (let i = 0; i < 5; i++) state = accumulateWindow(state, traffic.window('v2', 120, 0.8), traffic.window('v1', 1080, 0.85));
    const travelled = JSON.parse(JSON.stringify(state)) as SequentialState;
    assert.deepEqual(travelled, state);
    assert.deepEqual(testPassRateDrop(travelled, test_), testPassRateDrop(state, test_));
  });

  test('a window in which either version had no feedback changes nothing', () => {
    const state = accumulateWindow(initialSequentialState(), metricsFor('v2'), metricsFor('v1'));
    assert.equal(accumulateWindow(state, metricsFor('v2', { samples: 0 }), metricsFor('v1')), state);
    assert.equal(accumulateWindow(state, metricsFor('v2'), metricsFor('v1', { samples: 0 })), state);
    assert.equal(testPassRateDrop(initialSequentialState(), test_), null);
  });

  test('windows in which every row passed keep the evidence finite', () => {
    let state = initialSequentialState();
    for (let i = 0; i < 50; i++) {
      state = accumulateWindow(state, metricsFor('v2', { passRate: 1, samples: 200 }), metricsFor('v1', { passRate: 1, samples: 1800 }));
    }
    const evidence = testPassRateDrop(state, test_)!;
    assert.ok(Number.isFinite(state.information) && Number.isFinite(evidence.logLikelihoodRatio));
    assert.equal(evidence.worseThanTolerance, false);
  });

  test('a candidate far better than its baseline leaves finite, JSON-safe evidence and no rollback', () => {
    let state = initialSequentialState();
    for (let i = 0; i < 200; i++) {
      state = accumulateWindow(
        state,
        metricsFor('v2', { passRate: 0.99, samples: 5000 }),
        metricsFor('v1', { passRate: 0.5, samples: 5000 }),
      );
    }
    const evidence = testPassRateDrop(state, test_)!;
    assert.equal(evidence.worseThanTolerance, false);
    assert.deepEqual(JSON.parse(JSON.stringify(evidence)), evidence);
  });
});
