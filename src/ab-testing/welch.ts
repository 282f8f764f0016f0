import jStat from 'jstat';
import { mean, sampleVariance } from 'simple-statistics';

export interface WelchResult {
  n1: number;
  n2: number;
  mean1: number;
  mean2: number;
  /** mean1 − mean2 */
  difference: number;
  standardError: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided. */
  pValue: number;
  /** Two-sided (1 − alpha) interval for mean1 − mean2. */
  confidenceInterval: [number, number];
  /** Difference over the pooled standard deviation (0 when both samples are constant and equal). */
  cohensD: number;
  /** Cohen's d with the exact small-sample bias correction J(n1 + n2 − 2). */
  hedgesG: number;
}

/** Hedges' exact J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)), in logs so large m does not overflow Γ. */
function hedgesCorrection(m: number): number {
  return Math.exp(jStat.gammaln(m / 2) - jStat.gammaln((m - 1) / 2)) / Math.sqrt(m / 2);
}

/**
 * Welch's unequal-variance two-sample t-test (what scipy.stats.ttest_ind(a, b, equal_var=False) computes), with
 * the interval and standardised effect sizes an A/B report needs. Distributions come from jStat.
 */
export function welchTTest(a: readonly number[], b: readonly number[], alpha = 0.05): WelchResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 < 2 || n2 < 2) throw new RangeError(`welchTTest: each sample needs at least 2 values (got ${n1} and ${n2})`);
  const mean1 = mean([...a]);
  const mean2 = mean([...b]);
  const v1 = sampleVariance([...a]);
  const v2 = sampleVariance([...b]);
  const q1 = v1 / n1;
  const q2 = v2 / n2;
  const difference = mean1 - mean2;
  const standardError = Math.sqrt(q1 + q2);
  const pooledSd = Math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2));
  const cohensD = pooledSd > 0 ? difference / pooledSd : difference === 0 ? 0 : Math.sign(difference) * Infinity;
  const hedgesG = cohensD * hedgesCorrection(n1 + n2 - 2);

  if (standardError === 0) {
    // Both samples constant (an error rate of 0 in every snapshot): there is no noise to test against, so the
    // means either agree (p = 1) or differ beyond doubt (p = 0).
    const same = difference === 0;
    return {
      n1,
      n2,
      mean1,
      mean2,
      difference,
      standardError,
      cohensD,
      hedgesG,
      t: same ? 0 : Math.sign(difference) * Infinity,
      df: n1 + n2 - 2,
      pValue: same ? 1 : 0,
      confidenceInterval: [difference, difference],
    };
  }
  const t = difference / standardError;
  const df = (q1 + q2) ** 2 / (q1 ** 2 / (n1 - 1) + q2 ** 2 / (n2 - 1));
  // 2·F(−|t|) rather than 2·(1 − F(|t|)): keeps small p-values from cancelling to 0.
  const pValue = Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
  const half = jStat.studentt.inv(1 - alpha / 2, df) * standardError;
  return {
    n1,
    n2,
    mean1,
    mean2,
    difference,
    standardError,
    t,
    df,
    pValue,
    cohensD,
    hedgesG,
    confidenceInterval: [difference - half, difference + half],
  };
}
