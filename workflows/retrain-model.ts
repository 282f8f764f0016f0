import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import type { createRetrainingRunActivities } from '../activities/retraining-runs.js';
import type { createTrainingActivities, EvaluateCandidateOutput, FineTuneOutput } from '../activities/training.js';
import { parseRetrainInput } from '../src/retraining/input.js';
import { TRAINING_TASK_QUEUE } from '../src/temporal/task-queues.js';
import { LearnloopModel, LearnloopTrigger } from '../src/temporal/search-attributes.js';
import { labelledExamples } from '../src/retraining/labelled-examples.js';
import { canaryRollout } from './canary-rollout.js';

export type RetrainStep = 'starting' | 'select' | 'deduplicate' | 'fine-tune' | 'evaluate' | 'register' | 'rollout' | 'done';
export type RetrainStatus = 'skipped' | 'rejected' | 'deployed' | 'cancelled';

export interface RetrainProgress {
  step: RetrainStep;
  modelId: string;
  trigger: string;
  emergency: boolean;
  baseVersion: string | null;
  examplesSelected: number | null;
  examplesAfterDedup: number | null;
  /** Filled when fine-tuning ends (its per-batch progress is in the activity's heartbeat details in the Web UI). */
  training: { epochsRun: number; steps: number; losses: number[]; backend: string; feedbackSamples: number } | null;
  evaluation: { candidatePassRate: number; productionPassRate: number; improvement: number } | null;
  candidateVersion: string | null;
  rolloutWorkflowId: string | null;
  status: RetrainStatus | 'running';
  reason: string | null;
}

export interface RetrainResult extends RetrainProgress {
  status: RetrainStatus;
  reason: string;
}

export const cancelSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const progressQuery = defineQuery<RetrainProgress>('progress');

type Data = ReturnType<typeof createRetrainingDataActivities>;
type Runs = ReturnType<typeof createRetrainingRunActivities>;
type Training = ReturnType<typeof createTrainingActivities>;

const nonRetryableErrorTypes = ['InvalidRetrainingInput', 'InvalidTrainingInput'];
const data = proxyActivities<Data & Runs>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes },
});
// On the training queue (a GPU host when there is one); it heartbeats every batch and resumes from its checkpoint.
const training = proxyActivities<Training>({
  taskQueue: TRAINING_TASK_QUEUE,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes },
});

const versionPrefix = { weekly: 'weekly', degradation: 'degradation', data_threshold: 'data', manual: 'manual', learning_cycle: 'cycle' } as const;
/** "2026-11-25T07:40:12.345Z" → "20261125-074012". */
const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const failureMessage = (err: unknown) => (err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message);

/**
 * retrainModel: the specs' phase-4 loop for one model. Select high-quality production examples, drop near-duplicates,
 * fine-tune from the production version, evaluate both on a held-out canary set, gate, register, and hand the new
 * version to a canaryRollout that outlives this workflow.
 */
export async function retrainModel(rawInput: unknown): Promise<RetrainResult> {
  const parsed = parseRetrainInput(rawInput);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, 'InvalidRetrainingInput');
  const input = parsed.value;
  const { workflowId, firstExecutionRunId } = workflowInfo();
  upsertSearchAttributes([
    { key: LearnloopModel, value: input.modelId },
    { key: LearnloopTrigger, value: input.trigger },
  ]);

  const progress: RetrainProgress = {
    step: 'starting',
    modelId: input.modelId,
    trigger: input.trigger,
    emergency: input.emergency,
    baseVersion: null,
    examplesSelected: null,
    examplesAfterDedup: null,
    training: null,
    evaluation: null,
    candidateVersion: null,
    rolloutWorkflowId: null,
    status: 'running',
    reason: null,
  };
  const work = new CancellationScope();
  let cancelReason: string | null = null;
  setHandler(progressQuery, () => progress);
  setHandler(cancelSignal, (arg) => {
    cancelReason = arg?.reason?.trim() || 'cancelled by an operator';
    work.cancel();
  });

  const run = await data.startTrainingRun({ workflowId, modelId: input.modelId, trigger: input.trigger, learningCycleId: input.learningCycleId }).catch((err: unknown) => {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
      throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
    }
    throw err;
  });
  progress.baseVersion = run.baseVersion;
  let fineTuned: FineTuneOutput | null = null;
  let evaluation: EvaluateCandidateOutput | null = null;

  const finish = async (status: RetrainStatus, reason: string): Promise<RetrainResult> => {
    progress.step = 'done';
    progress.status = status;
    progress.reason = reason;
    await CancellationScope.nonCancellable(() =>
      data.finishTrainingRun({
        id: run.id,
        status,
        candidateVersion: progress.candidateVersion ?? undefined,
        examplesSelected: progress.examplesSelected ?? undefined,
        examplesAfterDedup: progress.examplesAfterDedup ?? undefined,
        epochsRun: fineTuned?.epochsRun,
        losses: fineTuned?.losses,
        backend: fineTuned?.backend,
        metrics: {
          reason,
          ...(fineTuned ? { feedbackSamples: fineTuned.feedbackSamples, steps: fineTuned.steps, validationLosses: fineTuned.validationLosses, trainer: fineTuned.trainer, trainingMs: fineTuned.durationMs, hyperparameters: fineTuned.hyperparameters } : {}),
          ...(evaluation ? { candidate: evaluation.candidate, production: evaluation.production, improvement: evaluation.improvement, gate: evaluation.gate } : {}),
        },
      }),
    );
    return { ...progress, status, reason };
  };

  try {
    return await work.run(async () => {
      progress.step = 'select';
      const { examples } = await data.selectExamples({ modelId: input.modelId, emergency: input.emergency, maxExamples: input.maxExamples });
      progress.examplesSelected = examples.length;
      if (examples.length < input.minExamples) {
        return finish('skipped', `${examples.length} qualifying examples, fewer than minExamples ${input.minExamples}`);
      }

      progress.step = 'deduplicate';
      const { kept } = await data.deduplicateExamples({ modelId: input.modelId, requestIds: examples.map((e) => e.requestId) });
      progress.examplesAfterDedup = kept.length;
      if (kept.length < input.minExamples) {
        return finish('skipped', `${kept.length} examples after deduplication, fewer than minExamples ${input.minExamples}`);
      }
      const keptIds = new Set(kept);
      const trainingSet = labelledExamples(examples.filter((e) => keptIds.has(e.requestId)));

      progress.step = 'fine-tune';
      const runId = `${workflowId}.${firstExecutionRunId}`.replace(/[^A-Za-z0-9._-]/g, '_');
      fineTuned = await training.fineTune({
        runId,
        modelId: input.modelId,
        baseVersion: run.baseVersion,
        examples: trainingSet,
        emergency: input.emergency,
        learningCycleId: input.learningCycleId,
      });
      progress.training = { epochsRun: fineTuned.epochsRun, steps: fineTuned.steps, losses: fineTuned.losses, backend: fineTuned.backend, feedbackSamples: fineTuned.feedbackSamples };

      progress.step = 'evaluate';
      evaluation = await training.evaluateCandidate({
        modelId: input.modelId,
        productionVersion: run.baseVersion,
        candidatePath: fineTuned.candidatePath,
        canary: input.canary,
        emergency: input.emergency,
      });
      progress.evaluation = {
        candidatePassRate: evaluation.candidate.passRate,
        productionPassRate: evaluation.production.passRate,
        improvement: evaluation.improvement,
      };
      if (!evaluation.gate.deploy) return finish('rejected', `quality gate: ${evaluation.gate.reason}`);
      if (input.dryRun) return finish('rejected', `dry run: the gate passed (${evaluation.gate.reason}); nothing registered`);

      progress.step = 'register';
      const version = `${versionPrefix[input.trigger]}-${stamp(Date.now())}`;
      await training.exportAndRegister({
        runId,
        modelId: input.modelId,
        version,
        candidatePath: fineTuned.candidatePath,
        metrics: { canaryPassRate: evaluation.candidate.passRate, improvement: evaluation.improvement },
        metadata: { trainingRun: run.id, baseVersion: run.baseVersion, trigger: input.trigger, examples: trainingSet.length },
      });
      progress.candidateVersion = version;
      await data.markExamplesUsed({ modelId: input.modelId, requestIds: [...keptIds], trainingRunId: run.id });

      progress.step = 'rollout';
      // Abandoned on close: the rollout dwells for hours after this workflow has finished.
      const rollout = await startChild(canaryRollout, {
        workflowId: `rollout-${input.modelId}-${version}`,
        args: [{ ...input.rollout, modelId: input.modelId, candidateVersion: version }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      progress.rolloutWorkflowId = rollout.workflowId;
      return finish('deployed', `quality gate: ${evaluation.gate.reason}; rolling out as ${rollout.workflowId}`);
    });
  } catch (err) {
    if (isCancellation(err) && cancelReason !== null) return finish('cancelled', cancelReason);
    await CancellationScope.nonCancellable(() =>
      data.finishTrainingRun({ id: run.id, status: 'failed', metrics: { error: failureMessage(err), step: progress.step } }),
    );
    throw err;
  }
}
