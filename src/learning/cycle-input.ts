import { z } from 'zod';
import { durationSchema } from '../rollout/duration.js';
import { describeIssues, type Parsed } from '../rollout/validation.js';

export const applicationIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be an application id such as "ticket-triage"');

export const cycleInputSchema = z.strictObject({
  applications: z
    .array(applicationIdSchema)
    .min(1)
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an application'),
  durationDays: z.number().positive().max(365).default(7),
  checkInterval: durationSchema.pipe(z.number().min(60_000, 'must be at least 1m')).prefault('1h'),
  autoRefine: z.boolean().default(true),
  autoTrain: z.boolean().default(true),
  /** The model a retrainModel child retrains when the cycle yields enough samples. */
  modelId: z.string().min(1).default('reference'),
});

export type CycleInput = z.output<typeof cycleInputSchema>;

export function parseCycleInput(input: unknown): Parsed<CycleInput> {
  const result = cycleInputSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error, 'input') };
}
