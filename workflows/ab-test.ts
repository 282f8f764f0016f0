import { condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createAbTestingActivities } from '../activities/ab-testing.js';
import { analyzeAbTest, type Variant } from '../src/ab-testing/analysis.js';
import type { MetricsSnapshot } from '../src/ab-testing/metrics.js';
import { parseAbTestInput, plannedSnapshots, type AbTestInput } from '../src/ab-testing/input.js';
import { activitiesOf } from './activity-proxy.js';
import { abortSignal, progressQuery, stopSignal, type AbTestResult, type AbTestState } from './contracts/ab-test.js';
import { acceptInput } from './failures.js';

// Database work, retried until the database is back: a test must not end half-recorded.
const abTesting = activitiesOf<typeof createAbTestingActivities>({
  startToCloseTimeout: '1m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['InvalidAbTestInput', 'UnknownAbTest'],
  },
});

/**
 * The activity was named analyseAbTest before the house said "analyze" everywhere; tests begun then replay
 * scheduling that name (test/ab-testing/replay-pre-analyze-name.test.ts). Deprecate once none can still be running.
 */
export const PATCH_ANALYZE_NAME = 'analyze-ab-test-name';

/** The test as it runs: what the handlers read and the steps write. */
interface AbTestRun {
  input: AbTestInput;
  abTestId: string;
  startedAt: number;
  planned: number;
  snapshots: Record<Variant, MetricsSnapshot[]>;
  taken: number;
  state: AbTestState;
  stopReason: string | null;
  abortReason: string | null;
}

/**
 * abTest: routes the split between two variants (model version + context), snapshots both every interval, and at
 * the end (or on `stop`) runs the specs' analysis: Welch's t-test per metric, Holm-corrected, a point per
 * significant metric. The winner's context is promoted with all traffic; otherwise the test is inconclusive.
 */
export async function abTest(rawInput: unknown): Promise<AbTestResult> {
  const input = acceptInput(parseAbTestInput(rawInput), 'InvalidAbTestInput');
  const run: AbTestRun = {
    input,
    abTestId: workflowInfo().workflowId,
    startedAt: Date.now(),
    planned: plannedSnapshots(input),
    snapshots: { A: [], B: [] },
    taken: 0,
    state: 'running',
    stopReason: null,
    abortReason: null,
  };
  handleOperators(run);
  await abTesting.startAbTest({
    id: run.abTestId,
    modelId: input.modelId,
    variantA: input.variantA,
    variantB: input.variantB,
    trafficSplit: input.trafficSplit,
    alpha: input.alpha,
  });
  await takeSnapshots(run);
  if (run.abortReason !== null) return abort(run, run.abortReason);
  return decide(run);
}

function handleOperators(run: AbTestRun): void {
  const { input } = run;
  setHandler(stopSignal, (arg) => {
    run.stopReason ??= arg?.reason ?? 'stopped by an operator';
  });
  setHandler(abortSignal, (arg) => {
    run.abortReason ??= arg?.reason ?? 'aborted by an operator';
  });
  setHandler(progressQuery, () => ({
    state: run.state,
    elapsedMs: Date.now() - run.startedAt,
    snapshotsTaken: run.taken,
    snapshotsPlanned: run.planned,
    estimates: analyzeAbTest(run.snapshots.A, run.snapshots.B, { alpha: input.alpha, ...(input.metrics && { metrics: input.metrics }) }),
  }));
}

/** One snapshot per interval until the plan is done, or a stop or an abort cuts it short. */
async function takeSnapshots(run: AbTestRun): Promise<void> {
  for (let n = 1; n <= run.planned; n++) {
    if (await condition(() => run.stopReason !== null || run.abortReason !== null, run.input.snapshotInterval)) break;
    const s = await abTesting.snapshotVariants({ abTestId: run.abTestId, snapshotNo: n });
    run.taken = n;
    if (s.A) run.snapshots.A.push(s.A);
    if (s.B) run.snapshots.B.push(s.B);
  }
}

async function abort(run: AbTestRun, reason: string): Promise<AbTestResult> {
  run.state = 'aborted';
  await abTesting.closeAbTest({ abTestId: run.abTestId, status: 'aborted', analysis: null });
  return { outcome: 'aborted', winner: null, reason, snapshotsTaken: run.taken, analysis: null };
}

/** The analysis over every snapshot: a winner's context is promoted, otherwise the test closes inconclusive. */
async function decide(run: AbTestRun): Promise<AbTestResult> {
  const { abTestId, input, taken } = run;
  run.state = 'analyzing';
  const analyze = patched(PATCH_ANALYZE_NAME) ? abTesting.analyzeAbTest : abTesting.analyseAbTest;
  const analysis = await analyze({ abTestId, ...(input.metrics && { metrics: input.metrics }) });
  const ended = run.stopReason !== null ? ` (${run.stopReason} after ${taken} of ${run.planned} snapshots)` : '';
  if (analysis.winner) {
    await abTesting.promoteStrategy({ abTestId, winner: analysis.winner, analysis });
    run.state = 'winner';
    return { outcome: 'winner', winner: analysis.winner, reason: analysis.conclusion + ended, snapshotsTaken: taken, analysis };
  }
  await abTesting.closeAbTest({ abTestId, status: 'inconclusive', analysis });
  run.state = 'inconclusive';
  return { outcome: 'inconclusive', winner: null, reason: analysis.conclusion + ended, snapshotsTaken: taken, analysis };
}
