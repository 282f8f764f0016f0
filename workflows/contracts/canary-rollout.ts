import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DbTime } from '../../src/db/rollouts.js';
import type { CheckDecision } from '../../src/rollout/health-check.js';
import type { VersionMetrics } from '../../src/rollout/metrics.js';
import type { SequentialState } from '../../src/rollout/sequential.js';
import type { Thresholds, ThresholdsUpdate } from '../../src/rollout/thresholds.js';
import { LearnloopCandidate, LearnloopModel, LearnloopStage, LearnloopState } from '../../src/temporal/search-attributes.js';
import { workflowType } from './workflow-type.js';

export type RolloutStateName = 'running' | 'paused' | 'promoted' | 'rolled_back' | 'aborted';
export type RolloutOutcome = 'promoted' | 'rolled_back' | 'aborted';

export interface CheckSummary {
  at: string;
  stage: number;
  percent: number;
  candidate: VersionMetrics | null;
  baseline: VersionMetrics | null;
  decision: CheckDecision;
  reason: string;
}

export interface RolloutProgress {
  state: RolloutStateName;
  modelId: string;
  candidateVersion: string;
  baselineVersion: string | null;
  /** 1-based stage number; 0 before the first weight change. */
  stage: number;
  stages: number;
  percent: number;
  stageStartedAt: string | null;
  /** Dwell left in this stage (paused time does not count); null for a manual stage or the last one. */
  dwellRemainingMs: number | null;
  /** What the stage is waiting for besides its dwell: a manual promote, a gate, an operator's resume. */
  waitingFor: string | null;
  nextCheckAt: string | null;
  checks: CheckSummary[];
  totalChecks: number;
  thresholds: Thresholds;
  reason?: string;
}

export interface RolloutResult {
  outcome: RolloutOutcome;
  reason: string;
  finalPercent: number;
  checks: CheckSummary[];
  totalChecks: number;
  startedAt: string;
  endedAt: string;
}

/**
 * What a continued-as-new run picks up: everything the rollout knows, nothing it can re-read. Runs begun on earlier
 * code hand on this shape too (the optional fields absent), so it only ever grows by optional fields.
 */
export interface RolloutCarry {
  baselineVersion: string;
  stageIndex: number;
  /** DB time the stage's weights were set; null until they are. */
  stageSince: DbTime | null;
  windowSince: DbTime | null;
  /** DB time of the rollout's first weight change: no check window reaches back before it. */
  rolloutSince?: DbTime | null;
  /**
   * Each check reads the last `checkWindow` of feedback (true), or only the rows since the previous check (false or
   * absent: a rollout begun on the workflow code before PATCH_CHECK_WINDOW keeps that after continue-as-new too).
   */
  checkWindow?: boolean;
  /**
   * A failed stage gate follows onFailure and the gate has the 0.73 floor (true), or a failed gate holds the stage
   * (false or absent: a rollout begun before PATCH_STAGE_GATE_ROLLBACK keeps that after continue-as-new too).
   */
  gateRollback?: boolean;
  stageStartedAt: number | null;
  /** The candidate's share of traffic now. */
  percent: number;
  dwellDoneMs: number;
  paused: boolean;
  pauseReason: string | null;
  promote: { full: boolean } | null;
  checkNo: number;
  checks: CheckSummary[];
  failures: number;
  inconclusive: number;
  thresholds: Thresholds;
  sequential: SequentialState;
  startedAt: number;
}

/** Its input is src/rollout/input.ts's rolloutInputSchema, validated by the workflow (a bad one fails it, InvalidRolloutInput). */
export const canaryRollout = workflowType<(rawInput: unknown, carried?: RolloutCarry) => Promise<RolloutResult>>('canaryRollout');

/** Hold the weights and the dwell clock; checks go on. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** All traffic back on the baseline; the rollout ends aborted. */
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');
/** End the stage at its next passing check (`full`: go straight to the last stage). */
export const promoteSignal = defineSignal<[{ full?: boolean }?]>('promote');
export const progressQuery = defineQuery<RolloutProgress>('progress');
export const setThresholdsUpdate = defineUpdate<Thresholds, [ThresholdsUpdate]>('setThresholds');

/** The search attributes a rollout keeps up to date, for `learnloop rollout list` and the Web UI. */
export const rolloutSearchAttributes = {
  model: LearnloopModel,
  candidate: LearnloopCandidate,
  stage: LearnloopStage,
  state: LearnloopState,
} as const;
