import { z } from 'zod';
import { describeIssues, type Parsed } from './validation.js';

const rate = z.number().min(0).max(1);
const ratio = z.number().min(1, 'must be at least 1 (a ratio under 1 rolls back a candidate equal to its baseline)');

const thresholdShape = {
  /** Roll back when the candidate's pass rate (mean test_pass_rate) falls under this. */
  minPassRate: rate,
  /** Roll back when the candidate's mean implementation_variance exceeds this. */
  maxVariance: z.number().min(0),
  /** Roll back when more than this share of the candidate's requests failed. */
  maxErrorRate: rate,
  /**
   * Roll back when the candidate's pass rate is more than this below the baseline's (0.02 = 2 points): on the
   * evidence of the sequential test when it is enabled, on one window's means when it is not.
   */
  maxPassRateDrop: rate,
  /** Roll back when the candidate's mean implementation_variance exceeds this multiple of the baseline's. */
  maxVarianceRatio: ratio,
  /** Roll back when the candidate's latency p95 exceeds this multiple of the baseline's. */
  maxLatencyP95Ratio: ratio,
};

const completeThresholdsSchema = z.strictObject(thresholdShape);
export type Thresholds = z.output<typeof completeThresholdsSchema>;

/** The specs' health-check thresholds. */
export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  minPassRate: 0.7,
  maxVariance: 0.05,
  maxErrorRate: 0.05,
  maxPassRateDrop: 0.02,
  maxVarianceRatio: 1.5,
  maxLatencyP95Ratio: 1.2,
});

const someThresholdsSchema = completeThresholdsSchema.partial();

/** Thresholds given on top of others; a key given as undefined keeps the value underneath. */
export function applyThresholdsUpdate(current: Thresholds, update: Partial<Thresholds>): Thresholds {
  const given = Object.entries<number | undefined>(update).filter(([, value]) => value !== undefined);
  return { ...current, ...Object.fromEntries(given) };
}

/** Thresholds in a rollout's input: any subset, the rest from the defaults. */
export const thresholdsSchema = someThresholdsSchema.transform((given) => applyThresholdsUpdate(DEFAULT_THRESHOLDS, given));

/** The argument of the `setThresholds` update: the thresholds to change, the others keep their current values. */
export const thresholdsUpdateSchema = someThresholdsSchema.refine(
  (update) => Object.values<number | undefined>(update).some((value) => value !== undefined),
  {
    error: 'give at least one threshold to change',
    // An unknown name already says what is wrong with the update.
    when: (payload) => payload.issues.length === 0,
  },
);

export type ThresholdsUpdate = z.output<typeof thresholdsUpdateSchema>;

/** The `setThresholds` update validator's check: refuses a negative rate, a ratio under 1, an unknown name. */
export function parseThresholdsUpdate(update: unknown): Parsed<ThresholdsUpdate> {
  const result = thresholdsUpdateSchema.safeParse(update);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error, 'thresholds') };
}
