import { z } from 'zod';

/** One variant's measurements over one snapshot interval. */
export const metricsSnapshotSchema = z.strictObject({
  requests: z.number().int().min(0),
  errorRate: z.number().min(0).max(1),
  latencyP50Ms: z.number().min(0),
  latencyP99Ms: z.number().min(0),
  /** Mean test pass rate of the feedback on these requests; null where none came back. */
  successRate: z.number().min(0).max(1).nullable(),
  /** Measured in the serving process; null where the requests carry no measurement. */
  cpuMsPerRequest: z.number().min(0).nullable(),
  memoryBytesPerRequest: z.number().min(0).nullable(),
});
export type MetricsSnapshot = z.infer<typeof metricsSnapshotSchema>;

/** The metrics the specs' analysis tests, and which way is better for each. */
export const testedMetrics = {
  errorRate: 'lower',
  latencyP99Ms: 'lower',
  successRate: 'higher',
  cpuMsPerRequest: 'lower',
} as const satisfies Record<string, 'lower' | 'higher'>;

export type TestedMetric = keyof typeof testedMetrics;
export const testedMetricSchema = z.enum(Object.keys(testedMetrics) as [TestedMetric, ...TestedMetric[]]);
export const allTestedMetrics = testedMetricSchema.options;
