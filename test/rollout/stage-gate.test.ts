import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STAGE_PASS_RATE_FLOOR, stageGate } from '../../src/rollout/stage-gate.js';
import { metricsFor } from '../../bench/support/rollout-traffic.js';

const baseline = metricsFor('v1', { samples: 5000, passRate: 0.85 });
const candidate = (passRate: number, samples = 800) => metricsFor('v2', { samples, passRate });

describe('stage gate', () => {
  test('after the first stage a candidate up to one point below the baseline advances', () => {
    assert.deepEqual(
      stageGate({ stageIndex: 0, percent: 10, candidate: candidate(0.84), baseline, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: true,
        failed: false,
        reason: 'candidate pass rate 0.840 ≥ baseline 0.850 − 0.01',
      },
    );
  });

  test('after the first stage a candidate more than one point below the baseline fails with the specs’ reason', () => {
    assert.deepEqual(
      stageGate({ stageIndex: 0, percent: 10, candidate: candidate(0.839), baseline, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: false,
        failed: true,
        reason: '10% phase performance below threshold: candidate pass rate 0.839 < baseline 0.850 − 0.01',
      },
    );
  });

  test('after the 50% stage the candidate must match the baseline', () => {
    assert.deepEqual(
      stageGate({ stageIndex: 1, percent: 50, candidate: candidate(0.85), baseline, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: true,
        failed: false,
        reason: 'candidate pass rate 0.850 ≥ baseline 0.850',
      },
    );
    assert.deepEqual(
      stageGate({ stageIndex: 1, percent: 50, candidate: candidate(0.849), baseline, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: false,
        failed: true,
        reason: '50% phase performance below threshold: candidate pass rate 0.849 < baseline 0.850',
      },
    );
  });

  test('a stage that cannot see does not advance, however long it dwelt', () => {
    const thin = stageGate({
      stageIndex: 0,
      percent: 10,
      candidate: candidate(0.95, 99),
      baseline,
      minSamples: 100,
      floor: STAGE_PASS_RATE_FLOOR,
    });
    assert.deepEqual(thin, {
      advance: false,
      failed: false,
      reason: 'candidate has 99 feedback rows in this stage, fewer than minSamples 100',
    });
    const thinBaseline = stageGate({
      stageIndex: 0,
      percent: 10,
      candidate: candidate(0.95),
      baseline: { ...baseline, samples: 10 },
      minSamples: 100,
      floor: STAGE_PASS_RATE_FLOOR,
    });
    assert.deepEqual(thinBaseline, {
      advance: false,
      failed: false,
      reason: 'baseline has 10 feedback rows in this stage, fewer than minSamples 100',
    });
  });

  test('a model’s first version, with no baseline, advances on enough feedback of its own above the floor', () => {
    assert.deepEqual(
      stageGate({ stageIndex: 1, percent: 50, candidate: candidate(0.73), baseline: null, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: true,
        failed: false,
        reason: 'no baseline version to compare with; candidate has 800 feedback rows in this stage',
      },
    );
  });

  test('below the specs’ 0.73 floor at the end of a stage the gate fails, whatever the baseline', () => {
    assert.equal(STAGE_PASS_RATE_FLOOR, 0.73);
    const low = metricsFor('v1', { samples: 5000, passRate: 0.6 });
    assert.deepEqual(
      stageGate({ stageIndex: 0, percent: 10, candidate: candidate(0.729), baseline: low, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: false,
        failed: true,
        reason: '10% phase performance below threshold: candidate pass rate 0.729 < floor 0.73',
      },
    );
    assert.deepEqual(
      stageGate({ stageIndex: 1, percent: 50, candidate: candidate(0.5), baseline: null, minSamples: 100, floor: STAGE_PASS_RATE_FLOOR }),
      {
        advance: false,
        failed: true,
        reason: '50% phase performance below threshold: candidate pass rate 0.500 < floor 0.73',
      },
    );
  });

  test('without a floor (rollouts begun before the patch) the gate is the comparison alone', () => {
    const low = metricsFor('v1', { samples: 5000, passRate: 0.6 });
    assert.equal(
      stageGate({ stageIndex: 0, percent: 10, candidate: candidate(0.6), baseline: low, minSamples: 100, floor: null }).advance,
      true,
    );
    assert.equal(
      stageGate({ stageIndex: 1, percent: 50, candidate: candidate(0.5), baseline: null, minSamples: 100, floor: null }).advance,
      true,
    );
  });
});
