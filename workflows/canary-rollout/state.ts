import { condition, upsertSearchAttributes } from '@temporalio/workflow';
import type { RolloutRef } from '../../activities/rollout.js';
import type { DbTime } from '../../src/db/rollouts.js';
import type { RolloutInput, Stage } from '../../src/rollout/input.js';
import type { Thresholds } from '../../src/rollout/thresholds.js';
import { rolloutSearchAttributes, type RolloutCarry, type RolloutResult, type RolloutStateName } from '../contracts/canary-rollout.js';

/**
 * The rollout's one state value. `carry` is what continue-as-new hands on (null until beginRollout has answered),
 * with `paused` and `thresholds`, which operators can change before then; the rest is this run's alone.
 */
export interface Rollout {
  rawInput: unknown;
  input: RolloutInput;
  ref: RolloutRef;
  carry: RolloutCarry | null;
  paused: boolean;
  thresholds: Thresholds;
  /** Decided once, before the rollout's first command, so that a rollout keeps one way of reading checks throughout. */
  checkWindow: boolean;
  gateRollback: boolean;
  abortReason: string | null;
  finished: { state: RolloutStateName; reason: string } | null;
  nextCheckAt: number | null;
  /** When the dwell clock last started; null while it is stopped (paused, between stages, ended). */
  runningSince: number | null;
  /** Set by promote and resume: the loop's wait ends at once, one time. */
  wake: boolean;
  waitingFor: string | null;
}
/** A rollout past beginRollout: it has a baseline and a carry. */
export type Begun = Rollout & { carry: RolloutCarry };
/** What a step tells the loop: the rollout ended, start the loop over, or go on to the next step. */
export type Step = { ended: RolloutResult } | 'again' | 'on';

export const iso = (ms: number) => new Date(ms).toISOString();
export const isBegun = (r: Rollout): r is Begun => r.carry !== null;

export function currentStage({ input, carry }: Rollout): Stage {
  const stage = input.stages[carry?.stageIndex ?? 0];
  if (!stage) throw new Error(`no stage ${String(carry?.stageIndex)}`);
  return stage;
}

/** The DB time a stage's (or the rollout's) weights were set; a check before that is a bug, not a state. */
export function weightsSetAt(at: DbTime | null): DbTime {
  if (at === null) throw new Error('a check before the stage’s weights were set');
  return at;
}

/** Waits until `at` or until something an operator did needs the loop (abort, promote, resume after a pause). */
export async function waitUntil(r: Rollout, at: number): Promise<boolean> {
  r.nextCheckAt = at;
  const woken = await condition(() => r.abortReason !== null || r.wake, Math.max(0, at - Date.now()));
  r.wake = false;
  return woken;
}

// The dwell clock: time in the stage, paused time not counted.

export function dwellDone(r: Rollout): number {
  return (r.carry?.dwellDoneMs ?? 0) + (r.runningSince === null ? 0 : Date.now() - r.runningSince);
}

export function dwellRemaining(r: Rollout): number | null {
  const dwell = currentStage(r).dwellMs;
  if (dwell === 'manual' || r.carry?.stageStartedAt == null) return null;
  return Math.max(0, dwell - dwellDone(r));
}

export function stopDwellClock(r: Rollout): void {
  if (r.carry && r.runningSince !== null) r.carry.dwellDoneMs += Date.now() - r.runningSince;
  r.runningSince = null;
}

export function startDwellClock(r: Rollout): void {
  if (r.carry?.stageStartedAt != null && !r.paused && !r.finished && r.runningSince === null) r.runningSince = Date.now();
}

export function pause(r: Rollout, reason: string): void {
  stopDwellClock(r);
  r.paused = true;
  if (r.carry) r.carry.pauseReason = reason;
  publish(r);
}

export const stateName = (r: Rollout): RolloutStateName => r.finished?.state ?? (r.paused ? 'paused' : 'running');

export function publish(r: Rollout): void {
  const { model, candidate, stage, state } = rolloutSearchAttributes;
  upsertSearchAttributes([
    { key: model, value: r.input.modelId },
    { key: candidate, value: r.input.candidateVersion },
    { key: stage, value: r.carry?.stageSince ? r.carry.stageIndex + 1 : 0 },
    { key: state, value: stateName(r) },
  ]);
}
