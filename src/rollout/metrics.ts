import { z } from 'zod';

/**
 * What a health check knows about one model version over one window: the feedback rows of `feedback` (joined with
 * `inference_requests` for the version) whose `at` falls in the window. A check's rules read the last `checkWindow`
 * (an hour by default); the windows handed to the sequential test must not overlap (each row counted once):
 * (previous check, this check].
 */
export const versionMetricsSchema = z.strictObject({
  version: z.string().min(1),
  /** Feedback rows in the window: `count(*)`. Every other field is 0 (latency null) when this is 0. */
  samples: z.number().int().min(0),
  /** Mean test_pass_rate, in [0, 1]: `avg(test_pass_rate)`. */
  passRate: z.number().min(0).max(1),
  /**
   * Sum of squared test_pass_rate: `sum(test_pass_rate * test_pass_rate)`. With `samples` and `passRate` it is
   * the sufficient statistic the sequential test accumulates across windows (it needs each arm's variance).
   */
  passRateSumSq: z.number().min(0),
  /** Mean implementation_variance: `avg(implementation_variance)`. */
  variance: z.number().min(0),
  /** Share of the rows whose request failed: `avg((feedback.error IS NOT NULL OR inference_requests.error IS NOT NULL)::int)`. */
  errorRate: z.number().min(0).max(1),
  /**
   * 95th percentile latency in ms: `percentile_cont(0.95) WITHIN GROUP (ORDER BY coalesce(feedback.latency_ms,
   * inference_requests.latency_ms))`; null when no row has a latency.
   */
  latencyP95Ms: z.number().min(0).nullable(),
});

export type VersionMetrics = z.output<typeof versionMetricsSchema>;
