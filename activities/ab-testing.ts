import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction } from '../src/db/pool.js';
import { replaceRoutes } from '../src/db/routing-weights.js';
import { analyzeAbTest, type AbAnalysis, type Variant } from '../src/ab-testing/analysis.js';
import type { MetricsSnapshot, TestedMetric } from '../src/ab-testing/metrics.js';
import { insertAbTest, readAbTest, snapshotWindow, type AbTestRow } from '../src/db/ab-tests.js';
import {
  closeAbTest,
  measureVariant,
  promoteStrategy,
  readSnapshots,
  recordSnapshot,
  variantRoute,
  type AbTestRecord,
} from '../src/ab-testing/store.js';
import { readContext, UnknownContextError } from '../src/execution-feedback/context-store.js';
import type { ActivityDeps } from './deps.js';

/** Activities of abTest; each safe to run again after a crash or a retry. */
export function createAbTestingActivities({ pool, logger }: ActivityDeps) {
  const log = logger.child({ component: 'ab-testing' });

  const abTest = async (abTestId: string): Promise<AbTestRow> => {
    const row = await readAbTest(pool, abTestId);
    if (!row) throw ApplicationFailure.nonRetryable(`abTestId: no A/B test ${abTestId}`, 'UnknownAbTest');
    return row;
  };

  const activities = {
    /** Registers the test (both contexts must exist) and routes its traffic split between the variants. */
    async startAbTest(t: AbTestRecord): Promise<void> {
      for (const [name, v] of [
        ['variantA', t.variantA],
        ['variantB', t.variantB],
      ] as const) {
        try {
          await readContext(pool, v.contextId, v.contextVersion);
        } catch (err) {
          if (err instanceof UnknownContextError) throw ApplicationFailure.nonRetryable(`${name}.${err.message}`, 'InvalidAbTestInput');
          throw err;
        }
      }
      await insertAbTest(pool, t);
      // Each variant is its own route, so two variants of one version that differ in context are split too.
      const routes = [variantRoute(t.variantA, 100 - t.trafficSplit), variantRoute(t.variantB, t.trafficSplit)];
      await withTransaction(pool, (c) => replaceRoutes(c, t.modelId, routes, `abTest ${t.id}`));
    },

    /**
     * Snapshot `snapshotNo` of both variants over the time since the previous snapshot (or the start), measured by
     * the database's clock. A variant with no requests in the window has no snapshot. Retried, it returns the first reading.
     */
    async snapshotVariants(input: { abTestId: string; snapshotNo: number }): Promise<Record<Variant, MetricsSnapshot | null>> {
      const t = await abTest(input.abTestId);
      const { from, to } = await snapshotWindow(pool, input.abTestId, input.snapshotNo, t.started_at);
      const out: Record<Variant, MetricsSnapshot | null> = { A: null, B: null };
      for (const variant of ['A', 'B'] as const) {
        const spec = variant === 'A' ? t.variant_a : t.variant_b;
        const measured = await measureVariant(pool, { modelId: t.model_id, variant: spec, from, to });
        if (measured)
          out[variant] = await recordSnapshot(pool, {
            abTestId: input.abTestId,
            snapshotNo: input.snapshotNo,
            variant,
            windowStart: from,
            windowEnd: to,
            metrics: measured,
          });
      }
      return out;
    },

    /** The specs' analysis over every stored snapshot. */
    async analyzeAbTest(input: { abTestId: string; metrics?: TestedMetric[] }): Promise<AbAnalysis> {
      const t = await abTest(input.abTestId);
      const snapshots = await readSnapshots(pool, input.abTestId);
      return analyzeAbTest(snapshots.A, snapshots.B, { alpha: t.alpha, ...(input.metrics && { metrics: input.metrics }) });
    },

    /** The winner's context into the library, all traffic to its version, the test closed. */
    async promoteStrategy(input: { abTestId: string; winner: Variant; analysis: AbAnalysis }): Promise<{ promoted: boolean }> {
      const t = await abTest(input.abTestId);
      const variant = input.winner === 'A' ? t.variant_a : t.variant_b;
      const result = await promoteStrategy(pool, {
        abTestId: input.abTestId,
        modelId: t.model_id,
        winner: input.winner,
        variant,
        analysis: input.analysis,
      });
      log.info(
        { abTestId: input.abTestId, winner: input.winner, contextId: variant.contextId, promoted: result.promoted },
        'A/B test winner promoted',
      );
      return result;
    },

    /** Records an inconclusive or aborted test and routes everything back to variant A. */
    async closeAbTest(input: { abTestId: string; status: 'inconclusive' | 'aborted'; analysis: AbAnalysis | null }): Promise<void> {
      await closeAbTest(pool, input.abTestId, input.status, input.analysis);
    },
  };
  /**
   * @deprecated analyzeAbTest's name until abTest said "analyze" like every other workflow: for tasks queued under it
   * and tests begun before patched('analyze-ab-test-name'), which keep scheduling it.
   */
  return { ...activities, analyseAbTest: (input: Parameters<typeof activities.analyzeAbTest>[0]) => activities.analyzeAbTest(input) };
}
