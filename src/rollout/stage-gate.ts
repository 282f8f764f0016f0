import { exceeds } from './compare.js';
import type { VersionMetrics } from './metrics.js';

export interface StageGateInput {
  /** 0 for the first stage (10% by default), 1 for the next, … */
  stageIndex: number;
  /** The candidate's share of traffic in this stage: the specs' failure reason names it ("10% phase …"). */
  percent: number;
  /** The candidate over the whole stage so far (since the stage's weights were set). */
  candidate: VersionMetrics;
  /** The baseline over the same time; null when the model has no baseline version. */
  baseline: VersionMetrics | null;
  minSamples: number;
  /**
   * The specs' absolute floor (`canary_deploy`: mean pass rate < 0.73 at the end of a stage rolls back), or null
   * for none: rollouts begun before PATCH_STAGE_GATE_ROLLBACK keep the gate they began with.
   */
  floor: number | null;
}

export interface StageGateResult {
  advance: boolean;
  /**
   * True when the stage saw enough and the candidate fell short (the specs roll back); false when it advances or
   * cannot see yet (fewer than minSamples rows), which holds the stage until a later check.
   */
  failed: boolean;
  reason: string;
}

/** After the first stage the candidate may trail the baseline by a point (the specs' 10% gate); later, not at all. */
const FIRST_STAGE_ALLOWANCE = 0.01;

/** `canary_deploy`: "Threshold: 73% (2% below target)", checked at the end of the 10% and the 50% stage. */
export const STAGE_PASS_RATE_FLOOR = 0.73;

/**
 * May a stage whose dwell is over advance? The specs' gate: candidate pass rate ≥ baseline − 0.01 after the first
 * stage, ≥ baseline after the later ones, and (with a floor) ≥ 0.73, on the stage's data. A stage that cannot see
 * (fewer than minSamples rows of either version) does not advance and does not fail: the dwell never counts as a
 * pass by itself, and the gate is asked again after the next check. A candidate that falls short fails the gate
 * with the specs' reason, "10% phase performance below threshold"; the rollout then follows its onFailure.
 */
export function stageGate({ stageIndex, percent, candidate, baseline, minSamples, floor }: StageGateInput): StageGateResult {
  if (candidate.samples < minSamples) {
    return {
      advance: false,
      failed: false,
      reason: `candidate has ${candidate.samples} feedback rows in this stage, fewer than minSamples ${minSamples}`,
    };
  }
  const below = `${percent}% phase performance below threshold`;
  if (floor !== null && exceeds(floor, candidate.passRate)) {
    return { advance: false, failed: true, reason: `${below}: candidate pass rate ${candidate.passRate.toFixed(3)} < floor ${floor}` };
  }
  if (baseline === null) {
    return {
      advance: true,
      failed: false,
      reason: `no baseline version to compare with; candidate has ${candidate.samples} feedback rows in this stage`,
    };
  }
  if (baseline.samples < minSamples) {
    return {
      advance: false,
      failed: false,
      reason: `baseline has ${baseline.samples} feedback rows in this stage, fewer than minSamples ${minSamples}`,
    };
  }
  const allowance = stageIndex === 0 ? FIRST_STAGE_ALLOWANCE : 0;
  const bar = baseline.passRate - allowance;
  const barText = allowance > 0 ? `baseline ${baseline.passRate.toFixed(3)} − ${allowance}` : `baseline ${baseline.passRate.toFixed(3)}`;
  return !exceeds(bar, candidate.passRate)
    ? { advance: true, failed: false, reason: `candidate pass rate ${candidate.passRate.toFixed(3)} ≥ ${barText}` }
    : { advance: false, failed: true, reason: `${below}: candidate pass rate ${candidate.passRate.toFixed(3)} < ${barText}` };
}
