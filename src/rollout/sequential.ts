import { errorFunction } from 'simple-statistics';
import { z } from 'zod';
import type { VersionMetrics } from './metrics.js';

/**
 * An always-valid one-sided test of "the candidate's pass rate is more than `tolerance` below the baseline's",
 * evaluated after every check window: the mixture sequential probability ratio test (mSPRT) of
 *
 *   R. Johari, P. Koomen, L. Pekelis, D. Walsh, "Always Valid Inference: Continuous Monitoring of A/B Tests",
 *   Operations Research 70(3), 2022 (KDD 2017: "Peeking at A/B Tests"): for a difference of means
 *   estimated as θ̂ with variance V, the normal mixture θ ~ N(θ0, τ²) gives
 *     Λ = sqrt(V / (V + τ²)) · exp(τ² (θ̂ − θ0)² / (2 V (V + τ²)))
 *   and rejecting θ = θ0 the first time Λ ≥ 1/α keeps the error ≤ α however often one looks (Ville's inequality).
 *
 * One-sided here: the mixing distribution is the half-normal on θ < θ0 (density 2·N(θ0, τ²) there), θ0 = −tolerance.
 * Integrating the Gaussian likelihood ratio against it (completing the square) gives, with information I = 1/V,
 * x = (θ̂ − θ0)·I and r = τ²·I,
 *     Λ = 2 / sqrt(1 + r) · exp(τ² x² / (2 (1 + r))) · Φ(−τ x / sqrt(1 + r)).
 * For every alternative θ < θ0 the ratio L(θ)/L(θ0) has expectation exp((θ − θ0)(θ* − θ0)·I) ≤ 1 under any true
 * θ* ≥ θ0, so Λ is a nonnegative supermartingale under the whole null "at most `tolerance` worse", and
 * P(Λ ever ≥ 1/α) ≤ α for a candidate exactly as good as the baseline as well as one `tolerance` worse.
 *
 * The data come as check windows. Each window k gives its own difference d_k = p̂_candidate − p̂_baseline with
 * variance v_k = σ²_c/n_c + σ²_b/n_b, and the windows are pooled by inverse variance: score S = Σ d_k/v_k,
 * I = Σ 1/v_k, θ̂ = S/I. S − θ·I is then a Gaussian random walk in I (the form Howard, Ramdas, McAuliffe, Sekhon,
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2), 2021, bound), and
 * comparing within windows keeps a traffic split that changes between stages (10% → 50%) and a pass rate that
 * drifts with the time of day from biasing θ̂. The σ² in v_k come from the windows before k (plus two
 * pseudo-rows at 0 and two at 1), so a window's weight does not depend on its own outcome: with Bernoulli-like
 * pass rates a window's own variance moves with its mean and would bias θ̂ upward.
 *
 * The guarantee is exact for Gaussian differences of known variance; with estimated variances it holds as the
 * samples grow, as in Johari et al. test/rollout/sequential.test.ts measures it on Bernoulli traffic at the edge
 * of the null (a candidate exactly `tolerance` worse, 216 looks): 1.5% of rollouts rolled back for α = 5%.
 */

export const sequentialConfigSchema = z.strictObject({
  /** Evaluate the test at every check and judge the pass-rate drop rule by it; off: by each window's means (the specs' rule). */
  enabled: z.boolean().default(true),
  /** Bound on the probability of ever rolling back a candidate no more than maxPassRateDrop worse. */
  alpha: z.number().gt(0).max(0.5).default(0.05),
  /**
   * τ: the scale of pass-rate differences found fastest. It changes speed, never validity; in
   * bench/canary-detection.ts 0.03–0.05 found a 5-point drop equally soon and 0.05 a 10-point drop sooner.
   */
  mixingSd: z.number().gt(0).max(1).default(0.05),
});

export type SequentialConfig = z.output<typeof sequentialConfigSchema>;

/** Count, sum and sum of squares of test_pass_rate: enough to merge windows and estimate a variance. */
export interface PassRateMoments {
  n: number;
  sum: number;
  sumSq: number;
}

/** Everything the test carries from one check to the next; small and JSON-serialisable. */
export interface SequentialState {
  /** Windows in which both versions had feedback. */
  windows: number;
  /** I = Σ 1/v_k. */
  information: number;
  /** S = Σ d_k/v_k. */
  score: number;
  candidate: PassRateMoments;
  baseline: PassRateMoments;
}

export interface SequentialEvidence {
  windows: number;
  /** θ̂: the candidate's pass rate minus the baseline's, pooled over the windows. */
  estimatedDifference: number;
  standardError: number;
  /** log Λ, floored at −700 where Φ underflows (a candidate far better than the tolerance line). */
  logLikelihoodRatio: number;
  /** log(1/α): the line log Λ must reach. */
  logThreshold: number;
  /** The evidence that the candidate is more than `tolerance` worse has reached 1/α. */
  worseThanTolerance: boolean;
}

const NO_MOMENTS: PassRateMoments = { n: 0, sum: 0, sumSq: 0 };

export const initialSequentialState = (): SequentialState => ({
  windows: 0,
  information: 0,
  score: 0,
  candidate: NO_MOMENTS,
  baseline: NO_MOMENTS,
});

function addWindow(moments: PassRateMoments, window: VersionMetrics): PassRateMoments {
  return {
    n: moments.n + window.samples,
    sum: moments.sum + window.passRate * window.samples,
    sumSq: moments.sumSq + window.passRateSumSq,
  };
}

/**
 * Sample variance with two pseudo-rows at 0 and two at 1 (test_pass_rate lies in [0, 1]): 1/3 before any data,
 * never 0 after a run of identical pass rates (which would give a window infinite weight).
 */
function shrunkVariance({ n, sum, sumSq }: PassRateMoments): number {
  const count = n + 4;
  const total = sum + 2;
  return Math.max(0, sumSq + 2 - (total * total) / count) / (count - 1);
}

/** Folds one check window in; a window where either version had no feedback compares nothing and is skipped. */
export function accumulateWindow(state: SequentialState, candidate: VersionMetrics, baseline: VersionMetrics): SequentialState {
  if (candidate.samples === 0 || baseline.samples === 0) return state;
  const v = shrunkVariance(state.candidate) / candidate.samples + shrunkVariance(state.baseline) / baseline.samples;
  const d = candidate.passRate - baseline.passRate;
  return {
    windows: state.windows + 1,
    information: state.information + 1 / v,
    score: state.score + d / v,
    candidate: addWindow(state.candidate, candidate),
    baseline: addWindow(state.baseline, baseline),
  };
}

const standardNormalCdf = (z: number): number => 0.5 * (1 + errorFunction(z / Math.SQRT2));

const LOG_LR_FLOOR = -700;

/** The one-sided mSPRT above on the accumulated windows; null before any window compared the two versions. */
export function testPassRateDrop(
  state: SequentialState,
  { alpha, mixingSd, tolerance }: { alpha: number; mixingSd: number; tolerance: number },
): SequentialEvidence | null {
  const { information, score } = state;
  if (information === 0) return null;
  const tau2 = mixingSd * mixingSd;
  const x = score + tolerance * information;
  const r = tau2 * information;
  const logLikelihoodRatio = Math.max(
    LOG_LR_FLOOR,
    Math.LN2 - 0.5 * Math.log1p(r) + (tau2 * x * x) / (2 * (1 + r)) + Math.log(standardNormalCdf((-mixingSd * x) / Math.sqrt(1 + r))),
  );
  const logThreshold = -Math.log(alpha);
  return {
    windows: state.windows,
    estimatedDifference: score / information,
    standardError: 1 / Math.sqrt(information),
    logLikelihoodRatio,
    logThreshold,
    worseThanTolerance: logLikelihoodRatio >= logThreshold,
  };
}
