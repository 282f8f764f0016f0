import { defineQuery, defineSignal } from '@temporalio/workflow';
import { LearnloopModel, LearnloopTrigger } from '../../src/temporal/search-attributes.js';
import { workflowType } from './workflow-type.js';

export type RetrainStep = 'starting' | 'select' | 'deduplicate' | 'fine-tune' | 'evaluate' | 'register' | 'rollout' | 'done';
/** `cancelled` is stored in training_runs.status (and shown by the CLI): an abort keeps recording it. */
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

/** Its input is src/retraining/input.ts's retrainInputSchema, validated by the workflow (InvalidRetrainingInput). */
export const retrainModel = workflowType<(rawInput: unknown) => Promise<RetrainResult>>('retrainModel');

/** One retraining per model at a time: the workflow id is the model's, so Temporal refuses a second while one runs. */
export const retrainWorkflowId = (modelId: string) => `retrain-${modelId}`;

/** Stop the retraining where it is; the run is recorded `cancelled`. */
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');
/**
 * The abort signal's name before it was `abort` like every other workflow's: runs started then, and CLIs built then,
 * still send it. Remove once none can.
 */
export const cancelSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const progressQuery = defineQuery<RetrainProgress>('progress');

/** The search attributes a retraining sets when it starts. */
export const retrainSearchAttributes = { model: LearnloopModel, trigger: LearnloopTrigger } as const;

/** A retraining a trigger (checkDegradation, checkNewData) started, or the one already running that it left alone. */
export interface TriggeredRetraining {
  started: boolean;
  workflowId: string;
}
