import { allHandlersFinished, condition, continueAsNew, isCancellation, patched, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { parseRolloutInput } from '../src/rollout/input.js';
import { initialSequentialState } from '../src/rollout/sequential.js';
import { rollout } from './canary-rollout/activities.js';
import { check } from './canary-rollout/checks.js';
import { rollBack } from './canary-rollout/ending.js';
import { handleOperators } from './canary-rollout/operators.js';
import { endStage, enterStage, waitForCheck } from './canary-rollout/stages.js';
import { isBegun, publish, startDwellClock, stopDwellClock, type Begun, type Rollout, type Step } from './canary-rollout/state.js';
import type { RolloutCarry, RolloutResult } from './contracts/canary-rollout.js';
import { acceptInput, surfaceRefusal } from './failures.js';

/**
 * The patch that made each check read the last `checkWindow` (1h) instead of the rows since the previous check.
 * Rollouts that were running when it was deployed replay their history without its marker and keep the old reads
 * to their end; test/rollout/replay-pre-window.test.ts replays one. Deprecate it (`deprecatePatch`) once no rollout
 * begun before it can still be running, then remove the old branch.
 */
export const PATCH_CHECK_WINDOW = 'canary-check-window';
/**
 * The patch that made a failed stage gate follow onFailure (roll back by default, with the specs' "10% phase
 * performance below threshold") and gave the gate the specs' 0.73 floor; before it a failed gate held the stage.
 * test/rollout/replay-pre-gate-rollback.test.ts replays a rollout held by its gate on the earlier code.
 */
export const PATCH_STAGE_GATE_ROLLBACK = 'canary-stage-gate-rollback';
/** Far below Temporal's 50k limit; continue-as-new also happens when the server suggests it. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 10_000;

/**
 * canaryRollout: the staged rollout of a candidate model version (10% → 50% → 100% by default). Each stage dwells,
 * health checks run every checkInterval over the last checkWindow of feedback and roll back on failure, a stage
 * advances when its dwell is over, its latest check passed and its gate holds, and the last stage promotes the
 * candidate.
 */
export async function canaryRollout(rawInput: unknown, carried?: RolloutCarry): Promise<RolloutResult> {
  const input = acceptInput(parseRolloutInput(rawInput), 'InvalidRolloutInput');
  const { workflowId, firstExecutionRunId: runKey } = workflowInfo();
  const r: Rollout = {
    rawInput,
    input,
    ref: { workflowId, runKey, modelId: input.modelId, candidateVersion: input.candidateVersion },
    carry: carried ?? null,
    checkWindow: carried ? carried.checkWindow === true : patched(PATCH_CHECK_WINDOW),
    gateRollback: carried ? carried.gateRollback === true : patched(PATCH_STAGE_GATE_ROLLBACK),
    paused: carried?.paused ?? false,
    thresholds: carried?.thresholds ?? input.thresholds,
    abortReason: null,
    finished: null,
    nextCheckAt: null,
    runningSince: null,
    wake: false,
    waitingFor: null,
  };
  handleOperators(r);
  upsertMemo({
    thresholds: r.thresholds,
    stages: input.stages.map((st) => ({ percent: st.percent, dwell: st.dwellMs })),
    checkIntervalMs: input.checkIntervalMs,
  });
  publish(r);
  try {
    const begun = isBegun(r) ? r : await begin(r);
    if (carried && !r.paused) startDwellClock(r);
    return await runStages(begun);
  } catch (err) {
    if (isCancellation(err) && isBegun(r) && !r.finished) await rollBack(r, 'cancelled from Temporal', {}, 'aborted');
    throw err;
  }
}

/** The stages, one step at a time, until the rollout ends; between steps, continue-as-new when history is long. */
async function runStages(r: Begun): Promise<RolloutResult> {
  for (;;) {
    if (r.abortReason !== null) return rollBack(r, r.abortReason, {}, 'aborted');
    const step = await stepStage(r);
    if (step === 'again') continue;
    if (step !== 'on') return step.ended;
    await maybeContinueAsNew(r);
  }
}

/** Enter the stage if its weights are not set yet, wait for the next check, check, and end the stage if it may. */
async function stepStage(r: Begun): Promise<Step> {
  if (r.carry.stageSince === null) {
    const entered = await enterStage(r);
    if (entered !== 'on') return entered;
  }
  if (!(await waitForCheck(r))) return 'again';
  const decision = await check(r);
  if (typeof decision !== 'string') return decision;
  return endStage(r, decision);
}

/** Reserves the rollout (one per model) and starts its state; the baseline is the production version unless given. */
async function begin(r: Rollout): Promise<Begun> {
  const { baselineVersion } = await rollout.beginRollout({ ...r.ref, baselineVersion: r.input.baselineVersion }).catch(surfaceRefusal);
  const begun = Object.assign(r, {
    carry: {
      baselineVersion,
      stageIndex: 0,
      stageSince: null,
      windowSince: null,
      rolloutSince: null,
      checkWindow: r.checkWindow,
      gateRollback: r.gateRollback,
      stageStartedAt: null,
      percent: 0,
      dwellDoneMs: 0,
      paused: false,
      pauseReason: null,
      promote: null,
      checkNo: 0,
      checks: [],
      failures: 0,
      inconclusive: 0,
      thresholds: r.thresholds,
      sequential: initialSequentialState(),
      startedAt: Date.now(),
    },
  });
  publish(begun);
  return begun;
}

/** Continues as new when the history is long (or the server suggests it), carrying the state. */
async function maybeContinueAsNew(r: Begun): Promise<void> {
  const info = workflowInfo();
  if (r.abortReason !== null) return;
  if (!info.continueAsNewSuggested && info.historyLength < HISTORY_EVENTS_BEFORE_CONTINUE) return;
  await condition(allHandlersFinished);
  stopDwellClock(r);
  await continueAsNew<typeof canaryRollout>(r.rawInput, { ...r.carry, paused: r.paused, thresholds: r.thresholds });
}
