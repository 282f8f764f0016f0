import type { PassRateWindows } from './pass-rate-windows.js';

export interface DegradationVerdict {
  degraded: boolean;
  /** (baseline − recent) / baseline; null when either window has too little feedback to say. */
  relativeDrop: number | null;
  reason: string;
}

/**
 * The specs' degradation trigger: the last hours' pass rate more than `maxRelativeDrop` (5%) below the previous
 * week's. A window with fewer than `minFeedback` rows says nothing: a quiet night's two failures must not start an
 * emergency retraining.
 */
export function judgeDegradation(
  windows: PassRateWindows,
  options: { maxRelativeDrop?: number; minFeedback?: number } = {},
): DegradationVerdict {
  const maxRelativeDrop = options.maxRelativeDrop ?? 0.05;
  const minFeedback = options.minFeedback ?? 20;
  const { recent, baseline } = windows;
  if (recent.feedbackCount < minFeedback || baseline.feedbackCount < minFeedback || !baseline.passRate) {
    return {
      degraded: false,
      relativeDrop: null,
      reason: `too little feedback to compare (recent ${recent.feedbackCount}, baseline ${baseline.feedbackCount}, need ${minFeedback} each)`,
    };
  }
  const relativeDrop = (baseline.passRate - recent.passRate!) / baseline.passRate;
  // Compared as a product, not as the quotient above, so a drop of exactly 5% (1 → 0.95) is not read as 5.0000001%.
  const degraded = recent.passRate! < baseline.passRate * (1 - maxRelativeDrop);
  return {
    degraded,
    relativeDrop,
    reason: `pass rate ${recent.passRate!.toFixed(3)} vs ${baseline.passRate.toFixed(3)} the week before: ${(100 * relativeDrop).toFixed(1)}% ${
      degraded ? 'drop, more than' : 'change, within'
    } ${(100 * maxRelativeDrop).toFixed(0)}%`,
  };
}
