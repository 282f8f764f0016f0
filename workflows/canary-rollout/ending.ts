import { CancellationScope } from '@temporalio/workflow';
import type { RolloutOutcome, RolloutResult } from '../contracts/canary-rollout.js';
import { alerts, rollout, traffic } from './activities.js';
import { iso, publish, stopDwellClock, type Begun } from './state.js';

export async function promote(r: Begun): Promise<RolloutResult> {
  await rollout.promote(traffic(r, 'promote', 100, 'promoted'));
  return end(r, 'promoted', `promoted after ${r.carry.checkNo} checks`);
}

/** Traffic back on the baseline, whatever else is happening: an abort, a cancel, a failed check. */
export function rollBack(
  r: Begun,
  reason: string,
  metrics: Record<string, unknown>,
  outcome: 'rolled_back' | 'aborted',
): Promise<RolloutResult> {
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
export async function end(r: Begun, state: RolloutOutcome, reason: string): Promise<RolloutResult> {
  const s = r.carry;
  stopDwellClock(r);
  r.finished = { state, reason };
  s.percent = state === 'promoted' ? 100 : 0;
  publish(r);
  await rollout.releaseRollout({ modelId: r.input.modelId, runKey: r.ref.runKey });
  return {
    outcome: state,
    reason,
    finalPercent: s.percent,
    checks: s.checks,
    totalChecks: s.checkNo,
    startedAt: iso(s.startedAt),
    endedAt: iso(Date.now()),
  };
}
