import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createRolloutActivities, RolloutRef, TrafficStep } from '../activities/rollout.js';
import type { DbTime } from '../src/db/rollouts.js';
import { evaluateCheck, type CheckDecision } from '../src/rollout/health-check.js';
import { parseRolloutInput, type RolloutInput, type Stage } from '../src/rollout/input.js';
import type { VersionMetrics } from '../src/rollout/metrics.js';
import { initialSequentialState } from '../src/rollout/sequential.js';
import { STAGE_PASS_RATE_FLOOR, stageGate } from '../src/rollout/stage-gate.js';
import { applyThresholdsUpdate, parseThresholdsUpdate, type Thresholds } from '../src/rollout/thresholds.js';
import { activitiesOf } from './activity-proxy.js';
import {
  abortSignal,
  pauseSignal,
  progressQuery,
  promoteSignal,
  resumeSignal,
  rolloutSearchAttributes,
  setThresholdsUpdate,
  type CheckSummary,
  type RolloutCarry,
  type RolloutOutcome,
  type RolloutProgress,
  type RolloutResult,
  type RolloutStateName,
} from './contracts/canary-rollout.js';
import { acceptInput, failureMessage, surfaceRefusal } from './failures.js';

const MAX_CHECKS_SHOWN = 20;
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

type RolloutActivities = typeof createRolloutActivities;
// Traffic and records: retried until the database is back, since a rollout must not stop half-way.
const rollout = activitiesOf<RolloutActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['InvalidRolloutInput', 'RolloutAlreadyRunning'] },
});
// A gate webhook that keeps failing is a failed check, not a stuck rollout.
const webhooks = activitiesOf<RolloutActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3 },
});
// An alert that cannot be delivered is logged by the activity and must not hold the rollout up.
const alerts = activitiesOf<RolloutActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * The rollout's one state value. `carry` is what continue-as-new hands on (null until beginRollout has answered),
 * with `paused` and `thresholds`, which operators can change before then; the rest is this run's alone.
 */
interface Rollout {
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
type Begun = Rollout & { carry: RolloutCarry };
/** What a step tells the loop: the rollout ended, start the loop over, or go on to the next step. */
type Step = { ended: RolloutResult } | 'again' | 'on';

const iso = (ms: number) => new Date(ms).toISOString();
const isBegun = (r: Rollout): r is Begun => r.carry !== null;

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
  upsertMemo({ thresholds: r.thresholds, stages: input.stages.map((st) => ({ percent: st.percent, dwell: st.dwellMs })), checkIntervalMs: input.checkIntervalMs });
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
  while (true) {
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

/**
 * Sets the stage's weights, after its gate webhook (preRollout before the first change, confirmPromotion before
 * 100%) and unless paused. A 100% stage without dwell promotes at once.
 */
async function enterStage(r: Begun): Promise<Step> {
  const { carry: s, input } = r;
  const stage = currentStage(r);
  const gate = s.stageIndex === 0 ? 'preRollout' : stage.percent === 100 ? 'confirmPromotion' : null;
  if (gate && !r.paused) {
    const hook = await webhookPasses(r, gate);
    if (!hook.ok) {
      const ended = await onFailedCheck(r, hook.reason, {});
      if (ended) return { ended };
      await waitUntil(r, Date.now() + input.checkIntervalMs);
      return 'again';
    }
  }
  if (r.paused) {
    r.waitingFor = 'resume';
    await condition(() => !r.paused || r.abortReason !== null);
    return 'again';
  }
  const { at } = await rollout.setRouteWeights(traffic(r, `stage-${s.stageIndex}`, stage.percent, 'stage', { stage: s.stageIndex + 1 }));
  s.stageSince = at;
  s.windowSince ??= at;
  s.rolloutSince ??= at;
  s.percent = stage.percent;
  s.stageStartedAt = Date.now();
  s.dwellDoneMs = 0;
  s.promote = s.promote?.full ? s.promote : null;
  s.failures = 0;
  startDwellClock(r);
  publish(r);
  if (stage.percent === 100 && stage.dwellMs === 0) return { ended: await promote(r) };
  return 'on';
}

/**
 * Waits for the next check: every checkInterval, and at once when the dwell runs out or an operator promotes. False
 * when the loop must start over instead (an abort, or a resume: the dwell clock runs again, the wake-up changes).
 */
async function waitForCheck(r: Begun): Promise<boolean> {
  const remaining = dwellRemaining(r);
  const checkAt = Date.now() + r.input.checkIntervalMs;
  const wakeAt = remaining !== null && remaining > 0 && !r.paused ? Math.min(checkAt, Date.now() + remaining) : checkAt;
  r.waitingFor = null;
  const woken = await waitUntil(r, wakeAt);
  if (r.abortReason !== null) return false;
  return !(woken && r.carry.promote == null);
}

/** One health check, recorded; a failed one counts towards failureLimit, too many without data pause the rollout. */
async function check(r: Begun): Promise<{ ended: RolloutResult } | CheckDecision> {
  const { carry: s, input } = r;
  const { window, sinceLastCheck } = await readCheckMetrics(r);
  const { candidate, baseline } = byRole(window, input.candidateVersion, s.baselineVersion);
  const result = evaluateCheck({
    candidate,
    baseline,
    thresholds: r.thresholds,
    minSamples: input.minSamples,
    sequential: { config: input.sequential, state: s.sequential },
    sinceLastCheck: byRole(sinceLastCheck, input.candidateVersion, s.baselineVersion),
  });
  s.sequential = result.sequentialState;
  const reason = result.reasons.join('; ') || 'all rules hold';
  await record(r, { candidate, baseline, decision: result.decision, reason }, result.sequentialEvidence);

  if (result.decision === 'fail') {
    const ended = await onFailedCheck(r, reason, { candidate, baseline, failedRules: result.failedRules, sequential: result.sequentialEvidence });
    if (ended) return { ended };
  } else if (result.decision === 'insufficient_data') {
    s.inconclusive += 1;
    if (s.inconclusive >= input.maxInconclusiveChecks && !r.paused) {
      const why = `${s.inconclusive} checks in a row without ${input.minSamples} feedback rows: the rollout cannot see`;
      pause(r, why);
      await alertPaused(r, why);
    }
  } else {
    s.failures = 0;
    s.inconclusive = 0;
  }
  return result.decision;
}

/**
 * The check's rules judge the last checkWindow; the sequential test folds in only the rows since the last check. A
 * rollout begun before PATCH_CHECK_WINDOW reads only the rows since the last check for both.
 */
async function readCheckMetrics(r: Begun): Promise<{ window: VersionMetrics[]; sinceLastCheck: VersionMetrics[] }> {
  const { carry: s, input } = r;
  const versions = [input.candidateVersion, s.baselineVersion];
  const since = weightsSetAt(s.windowSince);
  if (r.checkWindow) {
    const read = await rollout.collectCheckMetrics({ modelId: input.modelId, versions, since, windowMs: input.checkWindowMs, notBefore: s.rolloutSince ?? since });
    s.windowSince = read.until;
    return { window: read.window, sinceLastCheck: read.sinceLastCheck };
  }
  const read = await rollout.collectVersionMetrics({ modelId: input.modelId, versions, since });
  s.windowSince = read.until;
  return { window: read.metrics, sinceLastCheck: read.metrics };
}

/**
 * After a passing check with the dwell over (or a promote): the stage's gate over all of the stage's feedback.
 * It advances to the next stage (or the last, on `promote --full`), promotes after the last, or holds; a failed
 * gate does what a failed check does (roll back, or pause for an operator), unless the rollout predates that.
 */
async function endStage(r: Begun, decision: CheckDecision): Promise<Step> {
  const { carry: s, input } = r;
  const stage = currentStage(r);
  const dwellOver = stage.dwellMs !== 'manual' && dwellDone(r) >= stage.dwellMs;
  if (r.paused || decision !== 'pass' || !(dwellOver || s.promote)) return 'on';
  const stageData = await rollout.collectVersionMetrics({ modelId: input.modelId, versions: [input.candidateVersion, s.baselineVersion], since: weightsSetAt(s.stageSince) });
  const { candidate, baseline } = byRole(stageData.metrics, input.candidateVersion, s.baselineVersion);
  const last = s.stageIndex === input.stages.length - 1;
  const gate = last
    ? { advance: true, failed: false, reason: 'bake time over' }
    : stageGate({ stageIndex: s.stageIndex, percent: stage.percent, candidate, baseline, minSamples: input.minSamples, floor: r.gateRollback ? STAGE_PASS_RATE_FLOOR : null });
  if (gate.advance) {
    if (last) return { ended: await promote(r) };
    stopDwellClock(r);
    s.stageIndex = s.promote?.full ? input.stages.length - 1 : s.stageIndex + 1;
    s.stageSince = null;
    s.stageStartedAt = null;
    return 'again';
  }
  if (r.gateRollback && gate.failed) {
    const metrics = { candidate, baseline, stageGate: gate.reason };
    if (input.onFailure === 'rollback') return { ended: await rollBack(r, gate.reason, metrics, 'rolled_back') };
    pause(r, `failed stage gate: ${gate.reason}`);
    await alertPaused(r, gate.reason);
  }
  r.waitingFor = `stage gate: ${gate.reason}`;
  return 'on';
}

/**
 * After a failed check: nothing until failureLimit is exceeded, then the configured action. Returns the result
 * when the rollout ended (rolled back), null when it goes on (within the limit, or paused).
 */
async function onFailedCheck(r: Begun, reason: string, metrics: Record<string, unknown>): Promise<RolloutResult | null> {
  const { carry: s, input } = r;
  s.failures += 1;
  s.inconclusive = 0;
  if (s.failures <= input.failureLimit) return null;
  if (input.onFailure === 'rollback') return rollBack(r, reason, metrics, 'rolled_back');
  if (!r.paused) {
    pause(r, `failed check: ${reason}`);
    await alertPaused(r, reason);
  }
  return null;
}

/** A gate webhook; a refusal is recorded as a failed check. */
async function webhookPasses(r: Begun, name: 'preRollout' | 'confirmPromotion'): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { carry: s, input, ref } = r;
  const url = input.webhooks[name];
  if (!url) return { ok: true };
  try {
    await webhooks.callWebhook({ name, url, payload: { workflowId: ref.workflowId, modelId: input.modelId, candidateVersion: input.candidateVersion, baselineVersion: s.baselineVersion, stage: s.stageIndex + 1 } });
    return { ok: true };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const reason = `${name} webhook failed: ${failureMessage(err)}`;
    await record(r, { candidate: null, baseline: null, decision: 'fail', reason });
    return { ok: false, reason };
  }
}

async function promote(r: Begun): Promise<RolloutResult> {
  await rollout.promote(traffic(r, 'promote', 100, 'promoted'));
  return end(r, 'promoted', `promoted after ${r.carry.checkNo} checks`);
}

/** Traffic back on the baseline, whatever else is happening: an abort, a cancel, a failed check. */
function rollBack(r: Begun, reason: string, metrics: Record<string, unknown>, outcome: 'rolled_back' | 'aborted'): Promise<RolloutResult> {
  const { input, ref } = r;
  return CancellationScope.nonCancellable(async () => {
    await rollout.rollback({ ...traffic(r, 'rollback', 0, 'rollback', { reason }), reason, metrics, aborted: outcome === 'aborted' });
    await alerts
      .sendAlert({
        level: outcome === 'rolled_back' ? 'error' : 'warn',
        event: outcome,
        workflowId: ref.workflowId,
        modelId: input.modelId,
        candidateVersion: input.candidateVersion,
        message: `${input.modelId}@${input.candidateVersion} ${outcome === 'rolled_back' ? 'rolled back' : 'aborted'}: ${reason}`,
        details: { baselineVersion: r.carry.baselineVersion, percent: r.carry.percent, metrics },
      })
      .catch(() => undefined);
    return end(r, outcome, reason);
  });
}

/** The rollout's end: the dwell clock stopped, the reservation released, the result. */
async function end(r: Begun, state: RolloutOutcome, reason: string): Promise<RolloutResult> {
  const s = r.carry;
  stopDwellClock(r);
  r.finished = { state, reason };
  s.percent = state === 'promoted' ? 100 : 0;
  publish(r);
  await rollout.releaseRollout({ modelId: r.input.modelId, runKey: r.ref.runKey });
  return { outcome: state, reason, finalPercent: s.percent, checks: s.checks, totalChecks: s.checkNo, startedAt: iso(s.startedAt), endedAt: iso(Date.now()) };
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

/** Waits until `at` or until something an operator did needs the loop (abort, promote, resume after a pause). */
async function waitUntil(r: Rollout, at: number): Promise<boolean> {
  r.nextCheckAt = at;
  const woken = await condition(() => r.abortReason !== null || r.wake, Math.max(0, at - Date.now()));
  r.wake = false;
  return woken;
}

function record(r: Begun, summary: Omit<CheckSummary, 'at' | 'stage' | 'percent'>, sequential: unknown = null): Promise<void> {
  const s = r.carry;
  s.checkNo += 1;
  const entry: CheckSummary = { at: iso(Date.now()), stage: s.stageIndex + 1, percent: s.percent, ...summary };
  s.checks = [...s.checks, entry].slice(-MAX_CHECKS_SHOWN);
  return rollout.recordCheck({
    modelId: r.input.modelId,
    workflowId: r.ref.workflowId,
    runKey: r.ref.runKey,
    checkNo: s.checkNo,
    stage: entry.stage,
    percent: entry.percent,
    decision: entry.decision,
    reasons: [entry.reason],
    candidate: entry.candidate,
    baseline: entry.baseline,
    sequential,
  });
}

function alertPaused({ input, ref }: Rollout, reason: string): Promise<unknown> {
  const message = `${input.modelId}@${input.candidateVersion} paused: ${reason}`;
  return alerts.sendAlert({ level: 'warn', event: 'paused', workflowId: ref.workflowId, modelId: input.modelId, candidateVersion: input.candidateVersion, message }).catch(() => undefined);
}

const traffic = (r: Begun, step: string, percent: number, eventType: TrafficStep['eventType'], details: Record<string, unknown> = {}): TrafficStep => ({
  ...r.ref,
  baselineVersion: r.carry.baselineVersion,
  step,
  candidatePercent: percent,
  eventType,
  details,
});

/** The candidate's and the baseline's metrics, found by version name, never by position. */
function byRole(metrics: VersionMetrics[], candidateVersion: string, baselineVersion: string) {
  const find = (version: string) => {
    const m = metrics.find((x) => x.version === version);
    // A plain Error fails the workflow task, which Temporal retries: the rollout waits rather than ends with traffic split.
    if (!m) throw new Error(`no metrics for ${version}`);
    return m;
  };
  return { candidate: find(candidateVersion), baseline: find(baselineVersion) };
}

/** The DB time a stage's (or the rollout's) weights were set; a check before that is a bug, not a state. */
function weightsSetAt(at: DbTime | null): DbTime {
  if (at === null) throw new Error('a check before the stage’s weights were set');
  return at;
}

function currentStage({ input, carry }: Rollout): Stage {
  const stage = input.stages[carry?.stageIndex ?? 0];
  if (!stage) throw new Error(`no stage ${carry?.stageIndex}`);
  return stage;
}

// The dwell clock: time in the stage, paused time not counted.

function dwellDone(r: Rollout): number {
  return (r.carry?.dwellDoneMs ?? 0) + (r.runningSince === null ? 0 : Date.now() - r.runningSince);
}

function dwellRemaining(r: Rollout): number | null {
  const dwell = currentStage(r).dwellMs;
  if (dwell === 'manual' || r.carry?.stageStartedAt == null) return null;
  return Math.max(0, dwell - dwellDone(r));
}

function stopDwellClock(r: Rollout): void {
  if (r.carry && r.runningSince !== null) r.carry.dwellDoneMs += Date.now() - r.runningSince;
  r.runningSince = null;
}

function startDwellClock(r: Rollout): void {
  if (r.carry?.stageStartedAt != null && !r.paused && !r.finished && r.runningSince === null) r.runningSince = Date.now();
}

function pause(r: Rollout, reason: string): void {
  stopDwellClock(r);
  r.paused = true;
  if (r.carry) r.carry.pauseReason = reason;
  publish(r);
}

const stateName = (r: Rollout): RolloutStateName => r.finished?.state ?? (r.paused ? 'paused' : 'running');

function publish(r: Rollout): void {
  const { model, candidate, stage, state } = rolloutSearchAttributes;
  upsertSearchAttributes([
    { key: model, value: r.input.modelId },
    { key: candidate, value: r.input.candidateVersion },
    { key: stage, value: r.carry?.stageSince ? r.carry.stageIndex + 1 : 0 },
    { key: state, value: stateName(r) },
  ]);
}

// Operators: pause, resume, abort, promote, the progress query and the thresholds update.

function handleOperators(r: Rollout): void {
  setHandler(pauseSignal, () => {
    if (!r.finished && !r.paused) pause(r, 'paused by an operator');
  });
  setHandler(resumeSignal, () => resume(r));
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

function resume(r: Rollout): void {
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

function progress(r: Rollout): RolloutProgress {
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
