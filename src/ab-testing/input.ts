import { z } from 'zod';
import { durationSchema } from '../rollout/duration.js';
import { describeIssues, type Parsed } from '../rollout/validation.js';
import { testedMetricSchema } from './metrics.js';

/** A variant: the model version that serves and the context version it is given. */
export const variantSpecSchema = z.strictObject({
  version: z.string().min(1).max(63),
  contextId: z.string().min(1).max(200),
  contextVersion: z.number().int().min(1),
});
export type VariantSpec = z.infer<typeof variantSpecSchema>;

const HOUR_MS = 3_600_000;
/** Keeps a test's workflow history far below Temporal's limits without continue-as-new. */
export const MAX_SNAPSHOTS = 2_000;

export const abTestInputSchema = z
  .strictObject({
    modelId: z.string().min(1).max(63),
    variantA: variantSpecSchema,
    variantB: variantSpecSchema,
    /** Percent of traffic to variant B. */
    trafficSplit: z.number().int().min(1).max(99).default(50),
    durationHours: z
      .number()
      .gt(0)
      .max(24 * 90)
      .default(24),
    snapshotInterval: durationSchema.default(HOUR_MS),
    alpha: z.number().gt(0).max(0.5).default(0.05),
    metrics: z.array(testedMetricSchema).min(1).optional(),
  })
  .refine((v) => v.snapshotInterval >= 1_000, { error: 'must be at least 1s', path: ['snapshotInterval'] })
  .refine((v) => v.snapshotInterval <= v.durationHours * HOUR_MS, {
    error: 'must not be longer than durationHours',
    path: ['snapshotInterval'],
  })
  .refine((v) => (v.durationHours * HOUR_MS) / v.snapshotInterval <= MAX_SNAPSHOTS, {
    error: `gives more than ${MAX_SNAPSHOTS} snapshots over durationHours; use a longer interval`,
    path: ['snapshotInterval'],
  })
  .refine((v) => JSON.stringify(v.variantA) !== JSON.stringify(v.variantB), { error: 'must differ from variantA', path: ['variantB'] });

export type AbTestInput = z.output<typeof abTestInputSchema>;

/** Snapshots over the whole test: one per full interval. */
export const plannedSnapshots = (input: AbTestInput): number => Math.floor((input.durationHours * HOUR_MS) / input.snapshotInterval);

/** The workflow's input check: the value, or one line naming each wrong field. */
export function parseAbTestInput(raw: unknown): Parsed<AbTestInput> {
  const parsed = abTestInputSchema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: describeIssues(parsed.error, 'input') };
}
