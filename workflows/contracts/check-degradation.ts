import { z } from 'zod';
import { DEGRADATION_MAX_DROP, type DegradationVerdict } from '../../src/retraining/degradation.js';
import type { TriggeredRetraining } from './retrain-model.js';
import { workflowType } from './workflow-type.js';

export const checkDegradationInputSchema = z.strictObject({
  modelId: z.string().trim().min(1),
  /** `absolute`, the specs' rule (baseline − recent > 0.05), or `relative` ((baseline − recent) / baseline > maxDrop). */
  rule: z.enum(['absolute', 'relative']).default('absolute'),
  maxDrop: z.number().gt(0).lt(1).default(DEGRADATION_MAX_DROP),
  /** The relative rule with this threshold (the input before `rule`); wins over `rule` and `maxDrop` when given. */
  maxRelativeDrop: z.number().gt(0).lt(1).optional(),
  minFeedback: z.number().int().min(1).default(20),
});

export type CheckDegradationResult = DegradationVerdict & { retraining: TriggeredRetraining | null };

/** Its input is checkDegradationInputSchema, validated by the workflow (InvalidRetrainingInput). */
export const checkDegradation = workflowType<(rawInput: unknown) => Promise<CheckDegradationResult>>('checkDegradation');
