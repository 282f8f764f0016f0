import type { PassRateWindows } from './pass-rate-windows.js';

/**
 * `absolute`: the specs' rule (`monitor_quality_degradation`: degradation = baseline − current, `> 0.05`, printed as
 * a percentage of pass rate: five points). `relative`: (baseline − recent) / baseline, learnloop's rule before it,
 * stricter at a high baseline (4.25 points at 0.85).
 */
export type DropRule = 'absolute' | 'relative';

/** The specs' threshold: a drop of more than 0.05 (five points of pass rate under the absolute rule). */
export const DEGRADATION_MAX_DROP = 0.05;

export interface DegradationVerdict {
  degraded: boolean;
  rule: DropRule;
  /** baseline − recent; null when either window has too little feedback to say. */
  drop: number | null;
  /** (baseline − recent) / baseline; null when either window has too little feedback to say. */
  relativeDrop: number | null;
  reason: string;
}

/**
 * The specs' degradation trigger: the last hours' pass rate more than `maxDrop` (0.05) below the previous week's,
 * absolute by default (`rule: 'relative'` for a share of the baseline; `maxRelativeDrop` alone selects it too, as
 * before). A window with fewer than `minFeedback` rows says nothing: a quiet night's two failures must not start an
 * emergency retraining.
 */
export function judgeDegradation(
  windows: PassRateWindows,
  options: { rule?: DropRule; maxDrop?: number; maxRelativeDrop?: number; minFeedback?: number } = {},
): DegradationVerdict {
  const rule: DropRule = options.rule ?? (options.maxRelativeDrop !== undefined ? 'relative' : 'absolute');
  const maxDrop = options.maxDrop ?? options.maxRelativeDrop ?? DEGRADATION_MAX_DROP;
  const minFeedback = options.minFeedback ?? 20;
  const { recent, baseline } = windows;
  if (recent.feedbackCount < minFeedback || baseline.feedbackCount < minFeedback || !baseline.passRate) {
    return {
      degraded: false,
      rule,
      drop: null,
      relativeDrop: null,
      reason: `too little feedback to compare (recent ${recent.feedbackCount}, baseline ${baseline.feedbackCount}, need ${minFeedback} each)`,
    };
  }
  // A window with enough feedback has a pass rate (it read as a TypeError further on before this check).
  const recentPassRate = recent.passRate;
  if (recentPassRate === null) throw new Error('recent pass rate is missing');
  const drop = baseline.passRate - recentPassRate;
  const relativeDrop = drop / baseline.passRate;
  // Compared as products and with a tolerance of rounding, so a drop of exactly the threshold (0.9 → 0.85, 1 → 0.95)
  // is not read as 0.05000000000000004.
  const degraded = rule === 'absolute' ? drop - maxDrop > 1e-12 : recentPassRate < baseline.passRate * (1 - maxDrop);
  const shown = rule === 'absolute' ? `${(100 * drop).toFixed(1)} points` : `${(100 * relativeDrop).toFixed(1)}%`;
  const limit = rule === 'absolute' ? `${(100 * maxDrop).toFixed(0)} points` : `${(100 * maxDrop).toFixed(0)}%`;
  return {
    degraded,
    rule,
    drop,
    relativeDrop,
    reason: `pass rate ${recentPassRate.toFixed(3)} vs ${baseline.passRate.toFixed(3)} the week before: ${shown} ${degraded ? 'drop, more than' : 'change, within'} ${limit}`,
  };
}
