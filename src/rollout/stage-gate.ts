import { exceeds } from './compare.js';
import type { VersionMetrics } from './metrics.js';

export interface StageGateInput {
  /** 0 for the first stage (10% by default), 1 for the next, … */
  stageIndex: number;
  /** The candidate over the whole stage so far (since the stage's weights were set). */
  candidate: VersionMetrics;
  /** The baseline over the same time; null when the model has no baseline version. */
  baseline: VersionMetrics | null;
  minSamples: number;
}

export interface StageGateResult {
  advance: boolean;
  reason: string;
}

/** After the first stage the candidate may trail the baseline by a point (the specs' 10% gate); later, not at all. */
const FIRST_STAGE_ALLOWANCE = 0.01;

/**
 * May a stage whose dwell is over advance? The specs' gate: candidate pass rate ≥ baseline − 0.01 after the first
 * stage, ≥ baseline after the later ones, on the stage's data. A stage that cannot see (fewer than minSamples rows
 * of either version) does not advance: the dwell never counts as a pass by itself. A gate that says no holds the
 * stage; the health checks go on, so the gate can be asked again after the next check.
 */
export function stageGate({ stageIndex, candidate, baseline, minSamples }: StageGateInput): StageGateResult {
  if (candidate.samples < minSamples) {
    return { advance: false, reason: `candidate has ${candidate.samples} feedback rows in this stage, fewer than minSamples ${minSamples}` };
  }
  if (baseline === null) {
    return { advance: true, reason: `no baseline version to compare with; candidate has ${candidate.samples} feedback rows in this stage` };
  }
  if (baseline.samples < minSamples) {
    return { advance: false, reason: `baseline has ${baseline.samples} feedback rows in this stage, fewer than minSamples ${minSamples}` };
  }
  const allowance = stageIndex === 0 ? FIRST_STAGE_ALLOWANCE : 0;
  const bar = baseline.passRate - allowance;
  const barText = allowance > 0 ? `baseline ${baseline.passRate.toFixed(3)} − ${allowance}` : `baseline ${baseline.passRate.toFixed(3)}`;
  return !exceeds(bar, candidate.passRate)
    ? { advance: true, reason: `candidate pass rate ${candidate.passRate.toFixed(3)} ≥ ${barText}` }
    : { advance: false, reason: `candidate pass rate ${candidate.passRate.toFixed(3)} < ${barText}` };
}
