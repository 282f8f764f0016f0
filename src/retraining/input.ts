import { z } from 'zod';
import { describeIssues, type Parsed } from '../rollout/validation.js';

const canarySet = z.strictObject({
  phrasing: z.enum(['standard', 'drifted']),
  seed: z.number().int(),
  count: z.number().int().min(1).max(5_000),
});

/**
 * The held-out canary set both versions are judged on: reference requirements from seeds no training set uses,
 * in both phrasings, so a retrain that learns the drift but forgets the standard phrasing does not pass the gate.
 */
export const DEFAULT_CANARY_SET = [
  { phrasing: 'standard', seed: 300, count: 250 },
  { phrasing: 'drifted', seed: 200, count: 250 },
] as const;

export const retrainInputSchema = z
  .strictObject({
    modelId: z.string().trim().min(1),
    trigger: z.enum(['weekly', 'degradation', 'data_threshold', 'manual', 'learning_cycle']),
    /** The learning cycle that started this run: its weighted samples (learning_training_samples) go to the trainer. */
    learningCycleId: z.string().min(1).optional(),
    /** Degradation retrains: 200 examples, 3 epochs, and a gate that accepts up to 2 points below production. */
    emergency: z.boolean().optional(),
    maxExamples: z.number().int().min(2).max(10_000).optional(),
    /** Fewer qualifying examples end the run as `skipped`; 50 as the weekly schedule uses. */
    minExamples: z.number().int().min(2).default(50),
    /** Train, evaluate and gate, but register nothing and roll nothing out. */
    dryRun: z.boolean().default(false),
    canary: z
      .array(canarySet)
      .min(1)
      .default(() => DEFAULT_CANARY_SET.map((c) => ({ ...c }))),
    /** Stages of the canary rollout the new version gets (canaryRollout's input); its defaults when absent. */
    rollout: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((input) => (input.trigger === 'learning_cycle') === (input.learningCycleId !== undefined), {
    path: ['learningCycleId'],
    error: 'is given exactly when trigger is "learning_cycle"',
  })
  .transform((input) => ({ ...input, emergency: input.emergency ?? input.trigger === 'degradation' }));

export type RetrainInput = z.output<typeof retrainInputSchema>;

export function parseRetrainInput(input: unknown): Parsed<RetrainInput> {
  const result = retrainInputSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error, 'input') };
}
