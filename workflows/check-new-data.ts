import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import { parseInput } from '../src/temporal/parse-input.js';
import { startRetraining } from './start-retraining.js';

const inputSchema = z.strictObject({
  modelId: z.string().trim().min(1),
  /** The specs' data threshold: enough new qualifying examples to be worth a retraining. */
  minNewExamples: z.number().int().min(1).default(100),
});

const { countQualifyingExamples } = proxyActivities<ReturnType<typeof createRetrainingDataActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidRetrainingInput'] },
});

/** checkNewData (daily 03:00 on a Schedule): retrainModel with trigger data_threshold when ≥ 100 new qualifying examples exist. */
export async function checkNewData(rawInput: unknown): Promise<{ count: number; retraining: { started: boolean; workflowId: string } | null }> {
  const { modelId, minNewExamples } = parseInput(inputSchema, rawInput, 'InvalidRetrainingInput');
  const { count } = await countQualifyingExamples({ modelId });
  if (count < minNewExamples) return { count, retraining: null };
  return { count, retraining: await startRetraining({ modelId, trigger: 'data_threshold', minExamples: minNewExamples }) };
}
