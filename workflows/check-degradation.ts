import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import { judgeDegradation, type DegradationVerdict } from '../src/retraining/degradation.js';
import { parseInput } from '../src/temporal/parse-input.js';
import { startRetraining } from './start-retraining.js';

const inputSchema = z.strictObject({
  modelId: z.string().trim().min(1),
  /** The specs' trigger: a relative drop of more than 5%. */
  maxRelativeDrop: z.number().gt(0).lt(1).default(0.05),
  minFeedback: z.number().int().min(1).default(20),
});

const { passRateWindows } = proxyActivities<ReturnType<typeof createRetrainingDataActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidRetrainingInput'] },
});

/**
 * checkDegradation (every 6 hours on a Schedule): the last 6 hours' pass rate against the previous week's; a drop of
 * more than 5% starts an emergency retrainModel with up to 200 examples.
 */
export async function checkDegradation(rawInput: unknown): Promise<DegradationVerdict & { retraining: { started: boolean; workflowId: string } | null }> {
  const { modelId, maxRelativeDrop, minFeedback } = parseInput(inputSchema, rawInput, 'InvalidRetrainingInput');
  const verdict = judgeDegradation(await passRateWindows({ modelId, recentHours: 6, baselineDays: 7 }), { maxRelativeDrop, minFeedback });
  if (!verdict.degraded) return { ...verdict, retraining: null };
  const retraining = await startRetraining({ modelId, trigger: 'degradation', emergency: true, maxExamples: 200 });
  return { ...verdict, retraining };
}
