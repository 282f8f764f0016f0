import { condition } from '@temporalio/workflow';
import type { CheckDecision } from '../../src/rollout/health-check.js';
import { STAGE_PASS_RATE_FLOOR, stageGate } from '../../src/rollout/stage-gate.js';
import { alertPaused, rollout, traffic } from './activities.js';
import { byRole, onFailedCheck, webhookPasses } from './checks.js';
import { promote, rollBack } from './ending.js';
import {
  currentStage,
  dwellDone,
  dwellRemaining,
  pause,
  publish,
  startDwellClock,
  stopDwellClock,
  waitUntil,
  weightsSetAt,
  type Begun,
  type Step,
} from './state.js';

/**
 * Sets the stage's weights, after its gate webhook (preRollout before the first change, confirmPromotion before
 * 100%) and unless paused. A 100% stage without dwell promotes at once.
 */
export async function enterStage(r: Begun): Promise<Step> {
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
export async function waitForCheck(r: Begun): Promise<boolean> {
  const remaining = dwellRemaining(r);
  const checkAt = Date.now() + r.input.checkIntervalMs;
  const wakeAt = remaining !== null && remaining > 0 && !r.paused ? Math.min(checkAt, Date.now() + remaining) : checkAt;
  r.waitingFor = null;
  const woken = await waitUntil(r, wakeAt);
  if (r.abortReason !== null) return false;
  return !(woken && r.carry.promote == null);
}

/**
 * After a passing check with the dwell over (or a promote): the stage's gate over all of the stage's feedback.
 * It advances to the next stage (or the last, on `promote --full`), promotes after the last, or holds; a failed
 * gate does what a failed check does (roll back, or pause for an operator), unless the rollout predates that.
 */
export async function endStage(r: Begun, decision: CheckDecision): Promise<Step> {
  const { carry: s, input } = r;
  const stage = currentStage(r);
  const dwellOver = stage.dwellMs !== 'manual' && dwellDone(r) >= stage.dwellMs;
  if (r.paused || decision !== 'pass' || !(dwellOver || s.promote)) return 'on';
  const stageData = await rollout.collectVersionMetrics({
    modelId: input.modelId,
    versions: [input.candidateVersion, s.baselineVersion],
    since: weightsSetAt(s.stageSince),
  });
  const { candidate, baseline } = byRole(stageData.metrics, input.candidateVersion, s.baselineVersion);
  const last = s.stageIndex === input.stages.length - 1;
  const gate = last
    ? { advance: true, failed: false, reason: 'bake time over' }
    : stageGate({
        stageIndex: s.stageIndex,
        percent: stage.percent,
        candidate,
        baseline,
        minSamples: input.minSamples,
        floor: r.gateRollback ? STAGE_PASS_RATE_FLOOR : null,
      });
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
