import { patched, proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import { DEGRADATION_MAX_DROP, judgeDegradation, type DegradationVerdict } from '../src/retraining/degradation.js';
import { parseInput } from '../src/temporal/parse-input.js';
import { startRetraining } from './start-retraining.js';

const inputSchema = z.strictObject({
  modelId: z.string().trim().min(1),
  /** `absolute`, the specs' rule (baseline − recent > 0.05), or `relative` ((baseline − recent) / baseline > maxDrop). */
  rule: z.enum(['absolute', 'relative']).default('absolute'),
  maxDrop: z.number().gt(0).lt(1).default(DEGRADATION_MAX_DROP),
  /** The relative rule with this threshold (the input before `rule`); wins over `rule` and `maxDrop` when given. */
  maxRelativeDrop: z.number().gt(0).lt(1).optional(),
  minFeedback: z.number().int().min(1).default(20),
});

const { passRateWindows } = proxyActivities<ReturnType<typeof createRetrainingDataActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidRetrainingInput'] },
});

/**
 * checkDegradation (every 6 hours on a Schedule): the last 6 hours' pass rate against the previous week's; a drop of
 * more than 0.05 (five points, the specs' absolute rule) starts an emergency retrainModel with up to 200 examples.
 */
export async function checkDegradation(rawInput: unknown): Promise<DegradationVerdict & { retraining: { started: boolean; workflowId: string } | null }> {
  const { modelId, rule, maxDrop, maxRelativeDrop, minFeedback } = parseInput(inputSchema, rawInput, 'InvalidRetrainingInput');
  const windows = await passRateWindows({ modelId, recentHours: 6, baselineDays: 7 });
  // A run begun before the absolute rule judged relatively: replaying it must decide (start a retraining or not) as it did.
  const options = patched('degradation-absolute-drop')
    ? maxRelativeDrop !== undefined ? { rule: 'relative' as const, maxDrop: maxRelativeDrop } : { rule, maxDrop }
    : { rule: 'relative' as const, maxDrop: maxRelativeDrop ?? DEGRADATION_MAX_DROP };
  const verdict = judgeDegradation(windows, { ...options, minFeedback });
  if (!verdict.degraded) return { ...verdict, retraining: null };
  const retraining = await startRetraining({ modelId, trigger: 'degradation', emergency: true, maxExamples: 200 });
  return { ...verdict, retraining };
}
