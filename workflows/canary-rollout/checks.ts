import { isCancellation } from '@temporalio/workflow';
import { evaluateCheck, type CheckDecision } from '../../src/rollout/health-check.js';
import type { VersionMetrics } from '../../src/rollout/metrics.js';
import type { CheckSummary, RolloutResult } from '../contracts/canary-rollout.js';
import { failureMessage } from '../failures.js';
import { alertPaused, rollout, webhooks } from './activities.js';
import { rollBack } from './ending.js';
import { iso, pause, weightsSetAt, type Begun } from './state.js';

const MAX_CHECKS_SHOWN = 20;

/** One health check, recorded; a failed one counts towards failureLimit, too many without data pause the rollout. */
export async function check(r: Begun): Promise<{ ended: RolloutResult } | CheckDecision> {
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
    const ended = await onFailedCheck(r, reason, {
      candidate,
      baseline,
      failedRules: result.failedRules,
      sequential: result.sequentialEvidence,
    });
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
    const read = await rollout.collectCheckMetrics({
      modelId: input.modelId,
      versions,
      since,
      windowMs: input.checkWindowMs,
      notBefore: s.rolloutSince ?? since,
    });
    s.windowSince = read.until;
    return { window: read.window, sinceLastCheck: read.sinceLastCheck };
  }
  const read = await rollout.collectVersionMetrics({ modelId: input.modelId, versions, since });
  s.windowSince = read.until;
  return { window: read.metrics, sinceLastCheck: read.metrics };
}

/**
 * After a failed check: nothing until failureLimit is exceeded, then the configured action. Returns the result
 * when the rollout ended (rolled back), null when it goes on (within the limit, or paused).
 */
export async function onFailedCheck(r: Begun, reason: string, metrics: Record<string, unknown>): Promise<RolloutResult | null> {
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
export async function webhookPasses(
  r: Begun,
  name: 'preRollout' | 'confirmPromotion',
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { carry: s, input, ref } = r;
  const url = input.webhooks[name];
  if (!url) return { ok: true };
  try {
    await webhooks.callWebhook({
      name,
      url,
      payload: {
        workflowId: ref.workflowId,
        modelId: input.modelId,
        candidateVersion: input.candidateVersion,
        baselineVersion: s.baselineVersion,
        stage: s.stageIndex + 1,
      },
    });
    return { ok: true };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const reason = `${name} webhook failed: ${failureMessage(err)}`;
    await record(r, { candidate: null, baseline: null, decision: 'fail', reason });
    return { ok: false, reason };
  }
}

export function record(r: Begun, summary: Omit<CheckSummary, 'at' | 'stage' | 'percent'>, sequential: unknown = null): Promise<void> {
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

/** The candidate's and the baseline's metrics, found by version name, never by position. */
export function byRole(metrics: VersionMetrics[], candidateVersion: string, baselineVersion: string) {
  const find = (version: string) => {
    const m = metrics.find((x) => x.version === version);
    // A plain Error fails the workflow task, which Temporal retries: the rollout waits rather than ends with traffic split.
    if (!m) throw new Error(`no metrics for ${version}`);
    return m;
  };
  return { candidate: find(candidateVersion), baseline: find(baselineVersion) };
}
