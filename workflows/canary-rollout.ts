import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities, TrafficStep } from '../activities/rollout.js';
import type { DbTime } from '../src/db/rollouts.js';
import { evaluateCheck, type CheckDecision } from '../src/rollout/health-check.js';
import { parseRolloutInput, type RolloutInput } from '../src/rollout/input.js';
import type { VersionMetrics } from '../src/rollout/metrics.js';
import { initialSequentialState, type SequentialState } from '../src/rollout/sequential.js';
import { STAGE_PASS_RATE_FLOOR, stageGate } from '../src/rollout/stage-gate.js';
import { applyThresholdsUpdate, parseThresholdsUpdate, type Thresholds, type ThresholdsUpdate } from '../src/rollout/thresholds.js';
import { LearnloopCandidate, LearnloopModel, LearnloopStage, LearnloopState } from '../src/temporal/search-attributes.js';

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

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');
export const promoteSignal = defineSignal<[{ full?: boolean }?]>('promote');
export const progressQuery = defineQuery<RolloutProgress>('progress');
export const setThresholdsUpdate = defineUpdate<Thresholds, [ThresholdsUpdate]>('setThresholds');

/** What a continued-as-new run picks up: everything the rollout knows, nothing it can re-read. */
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

// Traffic and records: retried until the database is back, since a rollout must not stop half-way.
const rollout = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['InvalidRolloutInput', 'RolloutAlreadyRunning'] },
});
// A gate webhook that keeps failing is a failed check, not a stuck rollout.
const webhooks = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3 },
});
// An alert that cannot be delivered is logged by the activity and must not hold the rollout up.
const alerts = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5 },
});

const iso = (ms: number) => new Date(ms).toISOString();

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
const failureMessage = (err: unknown): string =>
  err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);

/**
 * canaryRollout: the staged rollout of a candidate model version (10% → 50% → 100% by default). Each stage dwells,
 * health checks run every checkInterval over the last checkWindow of feedback and roll back on failure, a stage
 * advances when its dwell is over, its latest check passed and its gate holds, and the last stage promotes the
 * candidate.
 */
export async function canaryRollout(rawInput: unknown, carried?: RolloutCarry): Promise<RolloutResult> {
  const parsed = parseRolloutInput(rawInput);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, 'InvalidRolloutInput');
  const input: RolloutInput = parsed.value;
  const { workflowId, firstExecutionRunId: runKey } = workflowInfo();
  const ref = { workflowId, runKey, modelId: input.modelId, candidateVersion: input.candidateVersion };
  const { stages } = input;

  let s: RolloutCarry | null = carried ?? null;
  // Decided once, before the rollout's first command, so that a rollout keeps one way of reading checks throughout.
  const checkWindow = carried ? carried.checkWindow === true : patched(PATCH_CHECK_WINDOW);
  const gateRollback = carried ? carried.gateRollback === true : patched(PATCH_STAGE_GATE_ROLLBACK);
  let paused = carried?.paused ?? false;
  let abortReason: string | null = null;
  let finished: { state: RolloutStateName; reason: string } | null = null;
  let nextCheckAt: number | null = null;
  let thresholds = carried?.thresholds ?? input.thresholds;
  let runningSince: number | null = null;
  /** Set by promote and resume: the loop's wait ends at once, one time. */
  let wake = false;
  let waitingFor: string | null = null;

  const dwellDone = (): number => (s?.dwellDoneMs ?? 0) + (runningSince === null ? 0 : Date.now() - runningSince);
  const stageDwell = () => stages[s?.stageIndex ?? 0]!.dwellMs;
  const isLastStage = () => (s?.stageIndex ?? 0) === stages.length - 1;
  const dwellRemaining = (): number | null => {
    const dwell = stageDwell();
    if (dwell === 'manual' || s?.stageStartedAt == null) return null;
    return Math.max(0, dwell - dwellDone());
  };
  const currentPercent = () => s?.percent ?? 0;
  const stateName = (): RolloutStateName => finished?.state ?? (paused ? 'paused' : 'running');
  const publish = () =>
    upsertSearchAttributes([
      { key: LearnloopModel, value: input.modelId },
      { key: LearnloopCandidate, value: input.candidateVersion },
      { key: LearnloopStage, value: s?.stageSince ? s.stageIndex + 1 : 0 },
      { key: LearnloopState, value: stateName() },
    ]);
  const stopDwellClock = () => {
    if (s && runningSince !== null) s.dwellDoneMs += Date.now() - runningSince;
    runningSince = null;
  };
  const startDwellClock = () => {
    if (s?.stageStartedAt != null && !paused && !finished && runningSince === null) runningSince = Date.now();
  };
  const pause = (reason: string | null) => {
    stopDwellClock();
    paused = true;
    if (s) s.pauseReason = reason;
    publish();
  };

  setHandler(pauseSignal, () => {
    if (!finished && !paused) pause('paused by an operator');
  });
  setHandler(resumeSignal, () => {
    if (finished || !paused) return;
    paused = false;
    if (s) {
      s.pauseReason = null;
      // The operator has seen why it stopped; counting starts again.
      s.failures = 0;
      s.inconclusive = 0;
    }
    startDwellClock();
    wake = true;
    publish();
  });
  setHandler(abortSignal, (arg) => {
    abortReason = arg?.reason?.trim() || 'aborted by an operator';
  });
  setHandler(promoteSignal, (arg) => {
    if (!s || finished) return;
    s.promote = { full: (s.promote?.full ?? false) || arg?.full === true };
    wake = true;
  });
  setHandler(progressQuery, (): RolloutProgress => {
    const dwell = s ? stageDwell() : null;
    return {
      state: stateName(),
      modelId: input.modelId,
      candidateVersion: input.candidateVersion,
      baselineVersion: s?.baselineVersion ?? null,
      stage: s?.stageSince || (s?.stageIndex ?? 0) > 0 ? s!.stageIndex + 1 : 0,
      stages: stages.length,
      percent: currentPercent(),
      stageStartedAt: s?.stageStartedAt != null ? iso(s.stageStartedAt) : null,
      dwellRemainingMs: dwellRemaining(),
      waitingFor: finished
        ? null
        : paused
          ? (s?.pauseReason ?? 'resume')
          : dwell === 'manual' && !s?.promote
            ? 'promote'
            : (waitingFor ?? null),
      nextCheckAt: nextCheckAt !== null && !finished ? iso(nextCheckAt) : null,
      checks: s?.checks ?? [],
      totalChecks: s?.checkNo ?? 0,
      thresholds,
      reason: finished?.reason ?? s?.pauseReason ?? undefined,
    };
  });
  setHandler(
    setThresholdsUpdate,
    (update) => {
      thresholds = applyThresholdsUpdate(thresholds, update);
      if (s) s.thresholds = thresholds;
      upsertMemo({ thresholds });
      return thresholds;
    },
    {
      validator: (update) => {
        const checked = parseThresholdsUpdate(update);
        if (!checked.ok) throw new Error(checked.error);
      },
    },
  );

  upsertMemo({ thresholds, stages: stages.map((st) => ({ percent: st.percent, dwell: st.dwellMs })), checkIntervalMs: input.checkIntervalMs });
  publish();

  const traffic = (step: string, percent: number, eventType: TrafficStep['eventType'], details: Record<string, unknown> = {}): TrafficStep => ({
    ...ref,
    baselineVersion: s!.baselineVersion,
    step,
    candidatePercent: percent,
    eventType,
    details,
  });

  const end = async (state: RolloutStateName, reason: string): Promise<RolloutResult> => {
    stopDwellClock();
    finished = { state, reason };
    if (s) s.percent = state === 'promoted' ? 100 : 0;
    publish();
    await rollout.releaseRollout({ modelId: input.modelId, runKey });
    return {
      outcome: state as RolloutOutcome,
      reason,
      finalPercent: currentPercent(),
      checks: s?.checks ?? [],
      totalChecks: s?.checkNo ?? 0,
      startedAt: iso(s?.startedAt ?? Date.now()),
      endedAt: iso(Date.now()),
    };
  };

  /** Traffic back on the baseline, whatever else is happening: an abort, a cancel, a failed check. */
  const rollBack = async (reason: string, metrics: Record<string, unknown>, outcome: 'rolled_back' | 'aborted') =>
    CancellationScope.nonCancellable(async () => {
      await rollout.rollback({ ...traffic('rollback', 0, 'rollback', { reason }), reason, metrics, aborted: outcome === 'aborted' });
      await alerts
        .sendAlert({
          level: outcome === 'rolled_back' ? 'error' : 'warn',
          event: outcome,
          workflowId,
          modelId: input.modelId,
          candidateVersion: input.candidateVersion,
          message: `${input.modelId}@${input.candidateVersion} ${outcome === 'rolled_back' ? 'rolled back' : 'aborted'}: ${reason}`,
          details: { baselineVersion: s!.baselineVersion, percent: currentPercent(), metrics },
        })
        .catch(() => undefined);
      return end(outcome, reason);
    });

  const alertPaused = (reason: string) =>
    alerts
      .sendAlert({ level: 'warn', event: 'paused', workflowId, modelId: input.modelId, candidateVersion: input.candidateVersion, message: `${input.modelId}@${input.candidateVersion} paused: ${reason}` })
      .catch(() => undefined);

  const record = (summary: Omit<CheckSummary, 'at' | 'stage' | 'percent'>, sequential: unknown = null) => {
    s!.checkNo += 1;
    const entry: CheckSummary = { at: iso(Date.now()), stage: s!.stageIndex + 1, percent: currentPercent(), ...summary };
    s!.checks = [...s!.checks, entry].slice(-MAX_CHECKS_SHOWN);
    return rollout.recordCheck({
      modelId: input.modelId,
      workflowId,
      runKey,
      checkNo: s!.checkNo,
      stage: entry.stage,
      percent: entry.percent,
      decision: entry.decision,
      reasons: [entry.reason],
      candidate: entry.candidate,
      baseline: entry.baseline,
      sequential,
    });
  };

  /**
   * After a failed check: nothing until failureLimit is exceeded, then the configured action. Returns the result
   * when the rollout ended (rolled back), null when it goes on (within the limit, or paused).
   */
  const onFailedCheck = async (reason: string, metrics: Record<string, unknown>): Promise<RolloutResult | null> => {
    s!.failures += 1;
    s!.inconclusive = 0;
    if (s!.failures <= input.failureLimit) return null;
    if (input.onFailure === 'rollback') return rollBack(reason, metrics, 'rolled_back');
    if (!paused) {
      pause(`failed check: ${reason}`);
      await alertPaused(reason);
    }
    return null;
  };

  /** A gate webhook; a refusal is recorded as a failed check. */
  const webhookPasses = async (name: 'preRollout' | 'confirmPromotion'): Promise<{ ok: true } | { ok: false; reason: string }> => {
    const url = input.webhooks[name];
    if (!url) return { ok: true };
    try {
      await webhooks.callWebhook({ name, url, payload: { workflowId, modelId: input.modelId, candidateVersion: input.candidateVersion, baselineVersion: s!.baselineVersion, stage: s!.stageIndex + 1 } });
      return { ok: true };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const reason = `${name} webhook failed: ${failureMessage(err)}`;
      await record({ candidate: null, baseline: null, decision: 'fail', reason });
      return { ok: false, reason };
    }
  };

  /** Waits until `at` or until something an operator did needs the loop (abort, promote, resume after a pause). */
  const waitUntil = async (at: number): Promise<boolean> => {
    nextCheckAt = at;
    const woken = await condition(() => abortReason !== null || wake, Math.max(0, at - Date.now()));
    wake = false;
    return woken;
  };

  const maybeContinueAsNew = async (): Promise<void> => {
    const info = workflowInfo();
    if (abortReason !== null) return;
    if (!info.continueAsNewSuggested && info.historyLength < HISTORY_EVENTS_BEFORE_CONTINUE) return;
    await condition(allHandlersFinished);
    stopDwellClock();
    await continueAsNew<typeof canaryRollout>(rawInput, { ...s!, paused, thresholds });
  };

  try {
    if (!s) {
      const { baselineVersion } = await rollout.beginRollout({ ...ref, baselineVersion: input.baselineVersion }).catch((err: unknown) => {
        // The refusal itself, not "activity failed", is what the operator must read first in the Web UI and CLI.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
          throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
        }
        throw err;
      });
      s = {
        baselineVersion,
        stageIndex: 0,
        stageSince: null,
        windowSince: null,
        rolloutSince: null,
        checkWindow,
        gateRollback,
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
        thresholds,
        sequential: initialSequentialState(),
        startedAt: Date.now(),
      };
      publish();
    }
    if (carried && !paused) startDwellClock();

    while (true) {
      if (abortReason !== null) return await rollBack(abortReason, {}, 'aborted');
      const stage = stages[s.stageIndex]!;

      if (s.stageSince === null) {
        // Before changing traffic: the preRollout gate before the first change, confirmPromotion before 100%.
        const gate = s.stageIndex === 0 ? 'preRollout' : stage.percent === 100 ? 'confirmPromotion' : null;
        if (gate && !paused) {
          const hook = await webhookPasses(gate);
          if (!hook.ok) {
            const ended = await onFailedCheck(hook.reason, {});
            if (ended) return ended;
            await waitUntil(Date.now() + input.checkIntervalMs);
            continue;
          }
        }
        if (paused) {
          waitingFor = 'resume';
          await condition(() => !paused || abortReason !== null);
          continue;
        }
        const { at } = await rollout.setRouteWeights(traffic(`stage-${s.stageIndex}`, stage.percent, 'stage', { stage: s.stageIndex + 1 }));
        s.stageSince = at;
        s.windowSince ??= at;
        s.rolloutSince ??= at;
        s.percent = stage.percent;
        s.stageStartedAt = Date.now();
        s.dwellDoneMs = 0;
        s.promote = s.promote?.full ? s.promote : null;
        s.failures = 0;
        startDwellClock();
        publish();
        if (stage.percent === 100 && stage.dwellMs === 0) {
          await rollout.promote(traffic('promote', 100, 'promoted'));
          return await end('promoted', `promoted after ${s.checkNo} checks`);
        }
      }

      // Next check: every checkInterval, and at once when the dwell runs out or an operator promotes.
      const remaining = dwellRemaining();
      const checkAt = Date.now() + input.checkIntervalMs;
      const wakeAt = remaining !== null && remaining > 0 && !paused ? Math.min(checkAt, Date.now() + remaining) : checkAt;
      waitingFor = null;
      const woken = await waitUntil(wakeAt);
      if (abortReason !== null) continue;
      if (woken && s.promote == null) continue; // resumed: the dwell clock runs again, recompute the wake-up

      // The check's rules judge the last checkWindow; the sequential test folds in only the rows since the last check.
      const versions = [input.candidateVersion, s.baselineVersion];
      let window: VersionMetrics[];
      let sinceLastCheck: VersionMetrics[];
      if (checkWindow) {
        const read = await rollout.collectCheckMetrics({
          modelId: input.modelId,
          versions,
          since: s.windowSince!,
          windowMs: input.checkWindowMs,
          notBefore: s.rolloutSince ?? s.windowSince!,
        });
        s.windowSince = read.until;
        ({ window, sinceLastCheck } = read);
      } else {
        const read = await rollout.collectVersionMetrics({ modelId: input.modelId, versions, since: s.windowSince! });
        s.windowSince = read.until;
        window = sinceLastCheck = read.metrics;
      }
      const { candidate, baseline } = byRole(window, input.candidateVersion, s.baselineVersion);
      const result = evaluateCheck({
        candidate,
        baseline,
        thresholds,
        minSamples: input.minSamples,
        sequential: { config: input.sequential, state: s.sequential },
        sinceLastCheck: byRole(sinceLastCheck, input.candidateVersion, s.baselineVersion),
      });
      s.sequential = result.sequentialState;
      const reason = result.reasons.join('; ') || 'all rules hold';
      await record({ candidate, baseline, decision: result.decision, reason }, result.sequentialEvidence);

      if (result.decision === 'fail') {
        const ended = await onFailedCheck(reason, { candidate, baseline, failedRules: result.failedRules, sequential: result.sequentialEvidence });
        if (ended) return ended;
      } else if (result.decision === 'insufficient_data') {
        s.inconclusive += 1;
        if (s.inconclusive >= input.maxInconclusiveChecks && !paused) {
          const why = `${s.inconclusive} checks in a row without ${input.minSamples} feedback rows: the rollout cannot see`;
          pause(why);
          await alertPaused(why);
        }
      } else {
        s.failures = 0;
        s.inconclusive = 0;
      }

      const dwellOver = stage.dwellMs !== 'manual' && dwellDone() >= stage.dwellMs;
      if (!paused && result.decision === 'pass' && (dwellOver || s.promote)) {
        const stageData = await rollout.collectVersionMetrics({
          modelId: input.modelId,
          versions: [input.candidateVersion, s.baselineVersion],
          since: s.stageSince!,
        });
        const { candidate: stageCandidate, baseline: stageBaseline } = byRole(stageData.metrics, input.candidateVersion, s.baselineVersion);
        const gate = isLastStage()
          ? { advance: true, failed: false, reason: 'bake time over' }
          : stageGate({
              stageIndex: s.stageIndex,
              percent: stage.percent,
              candidate: stageCandidate,
              baseline: stageBaseline,
              minSamples: input.minSamples,
              floor: gateRollback ? STAGE_PASS_RATE_FLOOR : null,
            });
        if (gate.advance) {
          if (isLastStage()) {
            await rollout.promote(traffic('promote', 100, 'promoted'));
            return await end('promoted', `promoted after ${s.checkNo} checks`);
          }
          stopDwellClock();
          s.stageIndex = s.promote?.full ? stages.length - 1 : s.stageIndex + 1;
          s.stageSince = null;
          s.stageStartedAt = null;
          continue;
        }
        if (gateRollback && gate.failed) {
          // One word for one act: a failed gate does what a failed check does (roll back, or pause for an operator).
          const metrics = { candidate: stageCandidate, baseline: stageBaseline, stageGate: gate.reason };
          if (input.onFailure === 'rollback') return await rollBack(gate.reason, metrics, 'rolled_back');
          pause(`failed stage gate: ${gate.reason}`);
          await alertPaused(gate.reason);
        }
        waitingFor = `stage gate: ${gate.reason}`;
      }
      await maybeContinueAsNew();
    }
  } catch (err) {
    if (isCancellation(err) && s && !finished) {
      await rollBack('cancelled from Temporal', {}, 'aborted');
    }
    throw err;
  }
}
