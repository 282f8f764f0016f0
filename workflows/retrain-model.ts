import {
  CancellationScope,
  ParentClosePolicy,
  isCancellation,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createRetrainingDataActivities } from '../activities/retraining-data.js';
import type { createRetrainingRunActivities } from '../activities/retraining-runs.js';
import type { createTrainingActivities, EvaluateCandidateOutput, FineTuneOutput } from '../activities/training.js';
import { parseRetrainInput, type RetrainInput } from '../src/retraining/input.js';
import { TRAINING_TASK_QUEUE } from '../src/temporal/task-queues.js';
import { labelledExamples, type LabelledExample } from '../src/retraining/labelled-examples.js';
import { activitiesOf } from './activity-proxy.js';
import { canaryRollout } from './contracts/canary-rollout.js';
import {
  abortSignal,
  cancelSignal,
  progressQuery,
  retrainSearchAttributes,
  type RetrainProgress,
  type RetrainResult,
  type RetrainStatus,
} from './contracts/retrain-model.js';
import { acceptInput, failureMessage, surfaceRefusal } from './failures.js';

const nonRetryableErrorTypes = ['InvalidRetrainingInput', 'InvalidTrainingInput'];
// Database work (and the selection's embedding), retried until the database is back.
const databaseWork = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes },
};
const data = activitiesOf<typeof createRetrainingDataActivities>(databaseWork);
const runs = activitiesOf<typeof createRetrainingRunActivities>(databaseWork);
// On the training queue (a GPU host when there is one); it heartbeats every batch and resumes from its checkpoint.
const training = activitiesOf<typeof createTrainingActivities>({
  taskQueue: TRAINING_TASK_QUEUE,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes },
});

const versionPrefix = {
  weekly: 'weekly',
  degradation: 'degradation',
  data_threshold: 'data',
  manual: 'manual',
  learning_cycle: 'cycle',
} as const;
/** "2026-11-25T07:40:12.345Z" → "20261125-074012". */
const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/** The retraining as it goes: what the progress query shows, and what the training run's record is written from. */
interface Retraining {
  input: RetrainInput;
  progress: RetrainProgress;
  runId: string;
  trainingRun: { id: string; baseVersion: string };
  fineTuned: FineTuneOutput | null;
  evaluation: EvaluateCandidateOutput | null;
}
type Ended = (status: RetrainStatus, reason: string) => Promise<RetrainResult>;

/**
 * retrainModel: the specs' phase-4 loop for one model. Select high-quality production examples, drop near-duplicates,
 * fine-tune from the production version, evaluate both on a held-out canary set, gate, register, and hand the new
 * version to a canaryRollout that outlives this workflow.
 */
export async function retrainModel(rawInput: unknown): Promise<RetrainResult> {
  const input = acceptInput(parseRetrainInput(rawInput), 'InvalidRetrainingInput');
  const { workflowId, firstExecutionRunId } = workflowInfo();
  upsertSearchAttributes([
    { key: retrainSearchAttributes.model, value: input.modelId },
    { key: retrainSearchAttributes.trigger, value: input.trigger },
  ]);
  const progress = startingProgress(input);
  const work = new CancellationScope();
  // Set by the cancel signal's handler, so a plain `null` initializer would narrow it to null for good.
  let abortReason = null as string | null;
  setHandler(progressQuery, () => progress);
  const abort = (arg?: { reason?: string }) => {
    abortReason = arg?.reason?.trim() || 'cancelled by an operator';
    work.cancel();
  };
  setHandler(abortSignal, abort);
  setHandler(cancelSignal, abort);

  const trainingRun = await runs
    .startTrainingRun({ workflowId, modelId: input.modelId, trigger: input.trigger, learningCycleId: input.learningCycleId })
    .catch(surfaceRefusal);
  progress.baseVersion = trainingRun.baseVersion;
  const runId = `${workflowId}.${firstExecutionRunId}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const r: Retraining = { input, progress, runId, trainingRun, fineTuned: null, evaluation: null };
  const finish: Ended = (status, reason) => recordEnd(r, status, reason);
  try {
    return await work.run(() => retrain(r, finish));
  } catch (err) {
    if (isCancellation(err) && abortReason !== null) return finish('cancelled', abortReason);
    await CancellationScope.nonCancellable(() =>
      runs.finishTrainingRun({ id: trainingRun.id, status: 'failed', metrics: { error: failureMessage(err), step: progress.step } }),
    );
    throw err;
  }
}

function startingProgress(input: RetrainInput): RetrainProgress {
  return {
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
}

/** The steps in order; each that can end the retraining early returns its result. */
async function retrain(r: Retraining, finish: Ended): Promise<RetrainResult> {
  const examples = await selectTrainingSet(r);
  if (typeof examples === 'string') return finish('skipped', examples);
  const { trainingSet, requestIds } = examples;
  const fineTuned = await fineTune(r, trainingSet);
  const evaluation = await evaluate(r, fineTuned);
  if (!evaluation.gate.deploy) return finish('rejected', `quality gate: ${evaluation.gate.reason}`);
  if (r.input.dryRun) return finish('rejected', `dry run: the gate passed (${evaluation.gate.reason}); nothing registered`);
  const version = await register(r, fineTuned, evaluation, trainingSet.length);
  await data.markExamplesUsed({ modelId: r.input.modelId, requestIds, trainingRunId: r.trainingRun.id });
  const rolloutWorkflowId = await handToRollout(r, version);
  return finish('deployed', `quality gate: ${evaluation.gate.reason}; rolling out as ${rolloutWorkflowId}`);
}

/** Selected and deduplicated examples, or why there are too few to train on. */
async function selectTrainingSet({
  input,
  progress,
}: Retraining): Promise<{ trainingSet: LabelledExample[]; requestIds: string[] } | string> {
  progress.step = 'select';
  const { examples } = await data.selectExamples({ modelId: input.modelId, emergency: input.emergency, maxExamples: input.maxExamples });
  progress.examplesSelected = examples.length;
  if (examples.length < input.minExamples) return `${examples.length} qualifying examples, fewer than minExamples ${input.minExamples}`;

  progress.step = 'deduplicate';
  const { kept } = await data.deduplicateExamples({ modelId: input.modelId, requestIds: examples.map((e) => e.requestId) });
  progress.examplesAfterDedup = kept.length;
  if (kept.length < input.minExamples) return `${kept.length} examples after deduplication, fewer than minExamples ${input.minExamples}`;
  const keptIds = new Set(kept);
  return { trainingSet: labelledExamples(examples.filter((e) => keptIds.has(e.requestId))), requestIds: [...keptIds] };
}

async function fineTune(r: Retraining, examples: LabelledExample[]): Promise<FineTuneOutput> {
  const { input, progress } = r;
  progress.step = 'fine-tune';
  const fineTuned = await training.fineTune({
    runId: r.runId,
    modelId: input.modelId,
    baseVersion: r.trainingRun.baseVersion,
    examples,
    emergency: input.emergency,
    learningCycleId: input.learningCycleId,
  });
  r.fineTuned = fineTuned;
  progress.training = {
    epochsRun: fineTuned.epochsRun,
    steps: fineTuned.steps,
    losses: fineTuned.losses,
    backend: fineTuned.backend,
    feedbackSamples: fineTuned.feedbackSamples,
  };
  return fineTuned;
}

async function evaluate(r: Retraining, fineTuned: FineTuneOutput): Promise<EvaluateCandidateOutput> {
  const { input, progress } = r;
  progress.step = 'evaluate';
  const evaluation = await training.evaluateCandidate({
    modelId: input.modelId,
    productionVersion: r.trainingRun.baseVersion,
    candidatePath: fineTuned.candidatePath,
    canary: input.canary,
    emergency: input.emergency,
  });
  r.evaluation = evaluation;
  progress.evaluation = {
    candidatePassRate: evaluation.candidate.passRate,
    productionPassRate: evaluation.production.passRate,
    improvement: evaluation.improvement,
  };
  return evaluation;
}

/** Exports and registers the candidate under a new version; returns the version. */
async function register(r: Retraining, fineTuned: FineTuneOutput, evaluation: EvaluateCandidateOutput, examples: number): Promise<string> {
  const { input, progress, trainingRun } = r;
  progress.step = 'register';
  const version = `${versionPrefix[input.trigger]}-${stamp(Date.now())}`;
  await training.exportAndRegister({
    runId: r.runId,
    modelId: input.modelId,
    version,
    candidatePath: fineTuned.candidatePath,
    metrics: { canaryPassRate: evaluation.candidate.passRate, improvement: evaluation.improvement },
    metadata: { trainingRun: trainingRun.id, baseVersion: trainingRun.baseVersion, trigger: input.trigger, examples },
  });
  progress.candidateVersion = version;
  return version;
}

/** Starts the new version's canaryRollout; returns its workflow id. */
async function handToRollout({ input, progress }: Retraining, version: string): Promise<string> {
  progress.step = 'rollout';
  // Abandoned on close: the rollout dwells for hours after this workflow has finished.
  const rollout = await startChild(canaryRollout, {
    workflowId: `rollout-${input.modelId}-${version}`,
    args: [{ ...input.rollout, modelId: input.modelId, candidateVersion: version }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  progress.rolloutWorkflowId = rollout.workflowId;
  return rollout.workflowId;
}

/** Records how the training run ended (even when aborted) and returns the result. */
async function recordEnd(
  { progress, trainingRun, fineTuned, evaluation }: Retraining,
  status: RetrainStatus,
  reason: string,
): Promise<RetrainResult> {
  progress.step = 'done';
  progress.status = status;
  progress.reason = reason;
  await CancellationScope.nonCancellable(() =>
    runs.finishTrainingRun({
      id: trainingRun.id,
      status,
      candidateVersion: progress.candidateVersion ?? undefined,
      examplesSelected: progress.examplesSelected ?? undefined,
      examplesAfterDedup: progress.examplesAfterDedup ?? undefined,
      epochsRun: fineTuned?.epochsRun,
      losses: fineTuned?.losses,
      backend: fineTuned?.backend,
      metrics: {
        reason,
        ...(fineTuned
          ? {
              feedbackSamples: fineTuned.feedbackSamples,
              steps: fineTuned.steps,
              validationLosses: fineTuned.validationLosses,
              trainer: fineTuned.trainer,
              trainingMs: fineTuned.durationMs,
              hyperparameters: fineTuned.hyperparameters,
            }
          : {}),
        ...(evaluation
          ? {
              candidate: evaluation.candidate,
              production: evaluation.production,
              improvement: evaluation.improvement,
              gate: evaluation.gate,
            }
          : {}),
      },
    }),
  );
  return { ...progress, status, reason };
}
