import { proxyActivities } from '@temporalio/workflow';
import type {
  createTrainingActivities,
  evaluateCandidateInput,
  exportAndRegisterInput,
  fineTuneInput,
} from '../../../activities/training.js';
import type { z } from 'zod';

type TrainingActivities = ReturnType<typeof createTrainingActivities>;

export interface TrainCandidateInput {
  /** Where fineTune runs (the product's `learnloop-training`). */
  trainingTaskQueue: string;
  fineTune: z.input<typeof fineTuneInput>;
  evaluate: Omit<z.input<typeof evaluateCandidateInput>, 'candidatePath'>;
  register: Omit<z.input<typeof exportAndRegisterInput>, 'candidatePath'>;
}

/**
 * The training steps of retrainModel in a row, for the activity tests: fine-tune on the training queue (heartbeat
 * timeout 3 s, so a killed worker's attempt is retried within seconds), evaluate, and register twice (the second
 * must be a no-op).
 */
export async function trainCandidate(input: TrainCandidateInput) {
  const { fineTune } = proxyActivities<TrainingActivities>({
    taskQueue: input.trainingTaskQueue,
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '3 seconds',
    retry: { initialInterval: '100 milliseconds', maximumAttempts: 3 },
  });
  const { evaluateCandidate, exportAndRegister } = proxyActivities<TrainingActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { maximumAttempts: 2 },
  });
  const trained = await fineTune(input.fineTune);
  const evaluation = await evaluateCandidate({ ...input.evaluate, candidatePath: trained.candidatePath });
  const registered = await exportAndRegister({ ...input.register, candidatePath: trained.candidatePath });
  const again = await exportAndRegister({ ...input.register, candidatePath: trained.candidatePath });
  return { trained, evaluation, registered, again };
}
