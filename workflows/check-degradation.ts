import { patched } from '@temporalio/workflow';
import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import { DEGRADATION_MAX_DROP, judgeDegradation } from '../src/retraining/degradation.js';
import { parseInput } from '../src/temporal/parse-input.js';
import { activitiesOf } from './activity-proxy.js';
import { checkDegradationInputSchema, type CheckDegradationResult } from './contracts/check-degradation.js';
import { startRetraining } from './start-retraining.js';

const { passRateWindows } = activitiesOf<typeof createRetrainingDataActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidRetrainingInput'] },
});

/**
 * checkDegradation (every 6 hours on a Schedule): the last 6 hours' pass rate against the previous week's; a drop of
 * more than 0.05 (five points, the specs' absolute rule) starts an emergency retrainModel with up to 200 examples.
 */
export async function checkDegradation(rawInput: unknown): Promise<CheckDegradationResult> {
  const { modelId, rule, maxDrop, maxRelativeDrop, minFeedback } = parseInput(
    checkDegradationInputSchema,
    rawInput,
    'InvalidRetrainingInput',
  );
  const windows = await passRateWindows({ modelId, recentHours: 6, baselineDays: 7 });
  // A run begun before the absolute rule judged relatively: replaying it must decide (start a retraining or not) as it did.
  const options = patched('degradation-absolute-drop')
    ? maxRelativeDrop !== undefined
      ? { rule: 'relative' as const, maxDrop: maxRelativeDrop }
      : { rule, maxDrop }
    : { rule: 'relative' as const, maxDrop: maxRelativeDrop ?? DEGRADATION_MAX_DROP };
  const verdict = judgeDegradation(windows, { ...options, minFeedback });
  if (!verdict.degraded) return { ...verdict, retraining: null };
  const retraining = await startRetraining({ modelId, trigger: 'degradation', emergency: true, maxExamples: 200 });
  return { ...verdict, retraining };
}
