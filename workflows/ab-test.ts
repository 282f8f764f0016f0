import { ApplicationFailure, condition, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createAbTestingActivities } from '../activities/ab-testing.js';
import { analyseAbTest, type AbAnalysis, type Variant } from '../src/ab-testing/analysis.js';
import type { MetricsSnapshot } from '../src/ab-testing/metrics.js';
import { parseAbTestInput, plannedSnapshots } from '../src/ab-testing/input.js';

type AbTestingActivities = ReturnType<typeof createAbTestingActivities>;

export type AbTestState = 'running' | 'analysing' | 'winner' | 'inconclusive' | 'aborted';

export interface AbTestProgress {
  state: AbTestState;
  elapsedMs: number;
  snapshotsTaken: number;
  snapshotsPlanned: number;
  /** The analysis over the snapshots so far: means, differences with intervals, p-values (not yet a decision). */
  estimates: AbAnalysis;
}

export interface AbTestResult {
  outcome: 'winner' | 'inconclusive' | 'aborted';
  winner: Variant | null;
  reason: string;
  snapshotsTaken: number;
  analysis: AbAnalysis | null;
}

/** Analyse now with the snapshots taken so far. */
export const stopSignal = defineSignal<[{ reason?: string }?]>('stop');
/** End without a decision; all traffic goes back to variant A. */
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');
export const progressQuery = defineQuery<AbTestProgress>('progress');

// Database work, retried until the database is back: a test must not end half-recorded.
const experiments = proxyActivities<AbTestingActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['InvalidAbTestInput', 'UnknownAbTest'] },
});

/**
 * abTest: routes the split between two variants (model version + context), snapshots both every interval, and at
 * the end (or on `stop`) runs the specs' analysis: Welch's t-test per metric, Holm-corrected, a point per
 * significant metric. The winner's context is promoted with all traffic; otherwise the test is inconclusive.
 */
export async function abTest(rawInput: unknown): Promise<AbTestResult> {
  const parsed = parseAbTestInput(rawInput);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, 'InvalidAbTestInput');
  const input = parsed.value;
  const abTestId = workflowInfo().workflowId;
  const startedAt = Date.now();
  const planned = plannedSnapshots(input);
  const snapshots: Record<Variant, MetricsSnapshot[]> = { A: [], B: [] };
  let taken = 0;
  let state: AbTestState = 'running';
  let stopReason: string | null = null;
  let abortReason: string | null = null;

  setHandler(stopSignal, (arg) => {
    stopReason ??= arg?.reason ?? 'stopped by an operator';
  });
  setHandler(abortSignal, (arg) => {
    abortReason ??= arg?.reason ?? 'aborted by an operator';
  });
  setHandler(progressQuery, () => ({
    state,
    elapsedMs: Date.now() - startedAt,
    snapshotsTaken: taken,
    snapshotsPlanned: planned,
    estimates: analyseAbTest(snapshots.A, snapshots.B, { alpha: input.alpha, ...(input.metrics && { metrics: input.metrics }) }),
  }));

  await experiments.startAbTest({
    id: abTestId, modelId: input.modelId, variantA: input.variantA, variantB: input.variantB, trafficSplit: input.trafficSplit, alpha: input.alpha,
  });

  for (let n = 1; n <= planned; n++) {
    if (await condition(() => stopReason !== null || abortReason !== null, input.snapshotInterval)) break;
    const s = await experiments.snapshotVariants({ abTestId, snapshotNo: n });
    taken = n;
    if (s.A) snapshots.A.push(s.A);
    if (s.B) snapshots.B.push(s.B);
  }

  if (abortReason !== null) {
    state = 'aborted';
    await experiments.closeAbTest({ abTestId, status: 'aborted', analysis: null });
    return { outcome: 'aborted', winner: null, reason: abortReason, snapshotsTaken: taken, analysis: null };
  }
  state = 'analysing';
  const analysis = await experiments.analyseAbTest({ abTestId, ...(input.metrics && { metrics: input.metrics }) });
  const ended = stopReason !== null ? ` (${stopReason} after ${taken} of ${planned} snapshots)` : '';
  if (analysis.winner) {
    await experiments.promoteStrategy({ abTestId, winner: analysis.winner, analysis });
    state = 'winner';
    return { outcome: 'winner', winner: analysis.winner, reason: analysis.conclusion + ended, snapshotsTaken: taken, analysis };
  }
  await experiments.closeAbTest({ abTestId, status: 'inconclusive', analysis });
  state = 'inconclusive';
  return { outcome: 'inconclusive', winner: null, reason: analysis.conclusion + ended, snapshotsTaken: taken, analysis };
}
