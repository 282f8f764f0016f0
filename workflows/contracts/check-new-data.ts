import { z } from 'zod';
import type { TriggeredRetraining } from './retrain-model.js';
import { workflowType } from './workflow-type.js';

export const checkNewDataInputSchema = z.strictObject({
  modelId: z.string().trim().min(1),
  /** The specs' data threshold: enough new qualifying examples to be worth a retraining. */
  minNewExamples: z.number().int().min(1).default(100),
});

export interface CheckNewDataResult {
  count: number;
  retraining: TriggeredRetraining | null;
}

/** Its input is checkNewDataInputSchema, validated by the workflow (InvalidRetrainingInput). */
export const checkNewData = workflowType<(rawInput: unknown) => Promise<CheckNewDataResult>>('checkNewData');
