import { defined } from '../platform/defined.js';
import { holmAdjust } from './holm.js';
import { allTestedMetrics, testedMetrics, type MetricsSnapshot, type TestedMetric } from './metrics.js';
import { welchTTest } from './welch.js';

export type Variant = 'A' | 'B';

export interface MetricComparison {
  metric: TestedMetric;
  better: 'lower' | 'higher';
  snapshotsA: number;
  snapshotsB: number;
  meanA: number;
  meanB: number;
  /** meanB − meanA, with its (1 − alpha) Welch interval (per metric, not adjusted for multiplicity). */
  difference: number;
  confidenceInterval: [number, number];
  t: number;
  df: number;
  pValue: number;
  /** Holm-adjusted over the metrics tested together; significance is judged on this. */
  adjustedPValue: number;
  significant: boolean;
  cohensD: number;
  hedgesG: number;
  /** The variant this metric gives its point to, when significant. */
  favours: Variant | null;
}

export interface AbAnalysis {
  alpha: number;
  correction: 'holm';
  comparisons: MetricComparison[];
  /** Metrics left out of the test, and why (too few snapshots, not measured). */
  untested: { metric: TestedMetric; reason: string }[];
  points: Record<Variant, number>;
  winner: Variant | null;
  conclusion: string;
}

/**
 * The specs' A/B decision: for each metric a Welch t-test of B's snapshots against A's, significant when its
 * Holm-adjusted p is below alpha, one point to the better variant per significant metric; the variant with more
 * points wins, otherwise "no significant difference".
 */
export function analyzeAbTest(
  snapshotsA: readonly MetricsSnapshot[],
  snapshotsB: readonly MetricsSnapshot[],
  options: { alpha?: number; metrics?: readonly TestedMetric[] } = {},
): AbAnalysis {
  const alpha = options.alpha ?? 0.05;
  const metrics = options.metrics ?? allTestedMetrics;
  const untested: AbAnalysis['untested'] = [];
  const tests = metrics.flatMap((metric) => {
    const a = snapshotsA.map((s) => s[metric]);
    const b = snapshotsB.map((s) => s[metric]);
    if (a.length < 2 || b.length < 2) {
      untested.push({ metric, reason: `needs at least 2 snapshots per variant (A ${a.length}, B ${b.length})` });
      return [];
    }
    if (a.includes(null) || b.includes(null)) {
      untested.push({ metric, reason: 'not measured in every snapshot' });
      return [];
    }
    // B first, so the difference reads "how B moved the metric relative to A".
    return [{ metric, result: welchTTest(b as number[], a as number[], alpha) }];
  });
  const adjusted = holmAdjust(tests.map((t) => t.result.pValue));
  const points: Record<Variant, number> = { A: 0, B: 0 };
  const comparisons = tests.map(({ metric, result }, i): MetricComparison => {
    const better = testedMetrics[metric];
    const adjustedPValue = defined(adjusted[i], 'Holm-adjusted p-value');
    const significant = adjustedPValue < alpha;
    const bIsBetter = better === 'higher' ? result.difference > 0 : result.difference < 0;
    const favours: Variant | null = significant ? (bIsBetter ? 'B' : 'A') : null;
    if (favours) points[favours] += 1;
    return {
      metric,
      better,
      snapshotsA: result.n2,
      snapshotsB: result.n1,
      meanA: result.mean2,
      meanB: result.mean1,
      difference: result.difference,
      confidenceInterval: result.confidenceInterval,
      t: result.t,
      df: result.df,
      pValue: result.pValue,
      adjustedPValue,
      significant,
      cohensD: result.cohensD,
      hedgesG: result.hedgesG,
      favours,
    };
  });
  const winner: Variant | null = points.A > points.B ? 'A' : points.B > points.A ? 'B' : null;
  const tested = `${tests.length} metrics tested with Welch's t-test at alpha ${alpha}, Holm-corrected for multiplicity`;
  const conclusion = winner
    ? `variant ${winner} wins ${points[winner]}–${points[winner === 'A' ? 'B' : 'A']} on points (${tested})`
    : `no significant difference (points A ${points.A}, B ${points.B}; ${tested})`;
  return { alpha, correction: 'holm', comparisons, untested, points, winner, conclusion };
}
