import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import { parseInput } from '../src/temporal/parse-input.js';
import { activitiesOf } from './activity-proxy.js';
import { checkNewDataInputSchema, type CheckNewDataResult } from './contracts/check-new-data.js';
import { startRetraining } from './start-retraining.js';

const { countQualifyingExamples } = activitiesOf<typeof createRetrainingDataActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10, nonRetryableErrorTypes: ['InvalidRetrainingInput'] },
});

/** checkNewData (daily 03:00 on a Schedule): retrainModel with trigger data_threshold when ≥ 100 new qualifying examples exist. */
export async function checkNewData(rawInput: unknown): Promise<CheckNewDataResult> {
  const { modelId, minNewExamples } = parseInput(checkNewDataInputSchema, rawInput, 'InvalidRetrainingInput');
  const { count } = await countQualifyingExamples({ modelId });
  if (count < minNewExamples) return { count, retraining: null };
  return { count, retraining: await startRetraining({ modelId, trigger: 'data_threshold', minExamples: minNewExamples }) };
}
