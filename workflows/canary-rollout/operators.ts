import { setHandler, upsertMemo } from '@temporalio/workflow';
import { applyThresholdsUpdate, parseThresholdsUpdate } from '../../src/rollout/thresholds.js';
import {
  abortSignal,
  pauseSignal,
  progressQuery,
  promoteSignal,
  resumeSignal,
  setThresholdsUpdate,
  type RolloutProgress,
} from '../contracts/canary-rollout.js';
import { currentStage, dwellRemaining, iso, pause, publish, startDwellClock, stateName, type Rollout } from './state.js';

/** What operators can do to a rollout: pause, resume, abort, promote, ask its progress, change its thresholds. */
export function handleOperators(r: Rollout): void {
  setHandler(pauseSignal, () => {
    if (!r.finished && !r.paused) pause(r, 'paused by an operator');
  });
  setHandler(resumeSignal, () => {
    resume(r);
  });
  setHandler(abortSignal, (arg) => {
    r.abortReason = arg?.reason?.trim() || 'aborted by an operator';
  });
  setHandler(promoteSignal, (arg) => {
    if (!r.carry || r.finished) return;
    r.carry.promote = { full: (r.carry.promote?.full ?? false) || arg?.full === true };
    r.wake = true;
  });
  setHandler(progressQuery, () => progress(r));
  setHandler(
    setThresholdsUpdate,
    (update) => {
      r.thresholds = applyThresholdsUpdate(r.thresholds, update);
      upsertMemo({ thresholds: r.thresholds });
      return r.thresholds;
    },
    {
      validator: (update) => {
        const checked = parseThresholdsUpdate(update);
        if (!checked.ok) throw new Error(checked.error);
      },
    },
  );
}

export function resume(r: Rollout): void {
  if (r.finished || !r.paused) return;
  r.paused = false;
  if (r.carry) {
    r.carry.pauseReason = null;
    // The operator has seen why it stopped; counting starts again.
    r.carry.failures = 0;
    r.carry.inconclusive = 0;
  }
  startDwellClock(r);
  r.wake = true;
  publish(r);
}

export function progress(r: Rollout): RolloutProgress {
  const s = r.carry;
  const dwell = s ? currentStage(r).dwellMs : null;
  return {
    state: stateName(r),
    modelId: r.input.modelId,
    candidateVersion: r.input.candidateVersion,
    baselineVersion: s?.baselineVersion ?? null,
    stage: s && (s.stageSince || s.stageIndex > 0) ? s.stageIndex + 1 : 0,
    stages: r.input.stages.length,
    percent: s?.percent ?? 0,
    stageStartedAt: s?.stageStartedAt != null ? iso(s.stageStartedAt) : null,
    dwellRemainingMs: dwellRemaining(r),
    waitingFor: r.finished ? null : r.paused ? (s?.pauseReason ?? 'resume') : dwell === 'manual' && !s?.promote ? 'promote' : r.waitingFor,
    nextCheckAt: r.nextCheckAt !== null && !r.finished ? iso(r.nextCheckAt) : null,
    checks: s?.checks ?? [],
    totalChecks: s?.checkNo ?? 0,
    thresholds: r.thresholds,
    reason: r.finished?.reason ?? s?.pauseReason ?? undefined,
  };
}
