import { ApplicationFailure } from '@temporalio/activity';
import { withTransaction } from '../src/db/pool.js';
import { replaceRoutes } from '../src/db/routing-weights.js';
import { analyseAbTest, type AbAnalysis, type Variant } from '../src/experiments/ab-analysis.js';
import type { MetricsSnapshot, TestedMetric } from '../src/experiments/ab-metrics.js';
import type { VariantSpec } from '../src/experiments/ab-test-input.js';
import {
  closeAbTest, createAbTest, measureVariant, promoteStrategy, readSnapshots, recordSnapshot, variantRoute, type AbTestRecord,
} from '../src/experiments/ab-test-store.js';
import { CiEventError, processCiEvent, storeCiEvent, type CiEvent } from '../src/experiments/ci-event-store.js';
import type { ImprovementType } from '../src/experiments/ci-pipeline.js';
import { readContext, UnknownContextError } from '../src/experiments/context-store.js';
import { runDebuggingSession, type DebuggingSession } from '../src/experiments/debug-session.js';
import type { ExecutionFeedback } from '../src/experiments/execution-feedback.js';
import type { ActivityDeps } from './deps.js';

export interface CiEventOutcome {
  eventId: string;
  contextId: string;
  fromVersion: number;
  toVersion: number;
  addedConstraints: string[];
  score: number | null;
  improvement: number | null;
  alreadyProcessed: boolean;
  /** One per failed stage (build, tests, quality gates, static analysis) and the constraint it went into. */
  improvements?: { type: ImprovementType; issues: string[]; constraintId: string | null }[];
  /** The event came with a stack trace: ciFeedback then runs its debugging step. */
  hasTrace?: boolean;
  /** What the debugging step did (set by the workflow). */
  debugging?: DebuggingOutcome;
}

export type DebuggingOutcome = Pick<DebuggingSession, 'outcome' | 'fixType' | 'confidence' | 'recurrences' | 'contextVersion'> & {
  signature: string;
  alreadyRun: boolean;
};

interface AbTestRow {
  model_id: string;
  variant_a: VariantSpec;
  variant_b: VariantSpec;
  alpha: number;
  started_at: Date;
}

/** Activities of abTest and ciFeedback; each safe to run again after a crash or a retry. */
export function createExperimentActivities({ pool, logger }: ActivityDeps) {
  const log = logger.child({ component: 'experiments' });

  const abTest = async (abTestId: string): Promise<AbTestRow> => {
    const { rows } = await pool.query<AbTestRow>('SELECT model_id, variant_a, variant_b, alpha, started_at FROM ab_tests WHERE id = $1', [abTestId]);
    if (!rows[0]) throw ApplicationFailure.nonRetryable(`abTestId: no A/B test ${abTestId}`, 'UnknownAbTest');
    return rows[0];
  };

  return {
    /** Stores a CI event once; a redelivery with the same event id reports `stored: false`. */
    async storeCiEvent(event: CiEvent): Promise<{ stored: boolean; status: string }> {
      return storeCiEvent(pool, event);
    },

    /** One learning step on the event's context, recorded with before/after; the second run returns the first's result. */
    async processCiEvent(input: { eventId: string }): Promise<CiEventOutcome> {
      try {
        const { update, improvements, hasTrace, alreadyProcessed } = await processCiEvent(pool, input.eventId);
        log.info(
          { eventId: input.eventId, contextId: update.contextId, toVersion: update.toVersion, improvements: improvements.map((i) => i.type), alreadyProcessed },
          'context updated from CI event',
        );
        return {
          eventId: update.eventId, contextId: update.contextId, fromVersion: update.fromVersion, toVersion: update.toVersion,
          addedConstraints: update.addedConstraints, score: update.score, improvement: update.improvement, alreadyProcessed,
          improvements: improvements.map((i) => ({ type: i.type, issues: i.issues, constraintId: i.constraintId })),
          hasTrace,
        };
      } catch (err) {
        if (err instanceof CiEventError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidCiEvent');
        throw err;
      }
    },

    /**
     * ciFeedback's debugging step: the debugging session of an event that came with a stack trace (its fix learned,
     * or a recurrence charged and a fix recommended into the context). Retried, it returns the first session.
     */
    async debugCiFailure(input: { eventId: string }): Promise<DebuggingOutcome | null> {
      const { rows } = await pool.query<{ context_id: string; feedback: ExecutionFeedback }>('SELECT context_id, feedback FROM ci_events WHERE event_id = $1', [input.eventId]);
      if (!rows[0]) throw ApplicationFailure.nonRetryable(`eventId: no stored CI event ${input.eventId}`, 'InvalidCiEvent');
      const debugging = rows[0].feedback.debugging;
      if (!debugging) return null;
      const { session, alreadyRun } = await runDebuggingSession(pool, {
        sessionId: input.eventId, contextId: rows[0].context_id, trace: debugging.trace, ...(debugging.fix && { fix: debugging.fix }),
      });
      log.info({ eventId: input.eventId, outcome: session.outcome, fixType: session.fixType, signature: session.signature.hash, alreadyRun }, 'debugging session');
      return {
        outcome: session.outcome, fixType: session.fixType, confidence: session.confidence, recurrences: session.recurrences,
        contextVersion: session.contextVersion, signature: session.signature.hash, alreadyRun,
      };
    },

    /** Registers the test (both contexts must exist) and routes its traffic split between the variants. */
    async startAbTest(t: AbTestRecord): Promise<void> {
      for (const [name, v] of [['variantA', t.variantA], ['variantB', t.variantB]] as const) {
        try {
          await readContext(pool, v.contextId, v.contextVersion);
        } catch (err) {
          if (err instanceof UnknownContextError) throw ApplicationFailure.nonRetryable(`${name}.${err.message}`, 'InvalidAbTestInput');
          throw err;
        }
      }
      await createAbTest(pool, t);
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
      const { rows } = await pool.query<{ from: Date; to: Date }>(
        `SELECT coalesce((SELECT max(window_end) FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no < $2), $3) AS "from",
                coalesce((SELECT max(window_end) FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no = $2), now()) AS "to"`,
        [input.abTestId, input.snapshotNo, t.started_at],
      );
      const { from, to } = rows[0]!;
      const out: Record<Variant, MetricsSnapshot | null> = { A: null, B: null };
      for (const variant of ['A', 'B'] as const) {
        const spec = variant === 'A' ? t.variant_a : t.variant_b;
        const measured = await measureVariant(pool, { modelId: t.model_id, variant: spec, from, to });
        if (measured) out[variant] = await recordSnapshot(pool, { abTestId: input.abTestId, snapshotNo: input.snapshotNo, variant, windowStart: from, windowEnd: to, metrics: measured });
      }
      return out;
    },

    /** The specs' analysis over every stored snapshot. */
    async analyseAbTest(input: { abTestId: string; metrics?: TestedMetric[] }): Promise<AbAnalysis> {
      const t = await abTest(input.abTestId);
      const snapshots = await readSnapshots(pool, input.abTestId);
      return analyseAbTest(snapshots.A, snapshots.B, { alpha: t.alpha, ...(input.metrics && { metrics: input.metrics }) });
    },

    /** The winner's context into the library, all traffic to its version, the test closed. */
    async promoteStrategy(input: { abTestId: string; winner: Variant; analysis: AbAnalysis }): Promise<{ promoted: boolean }> {
      const t = await abTest(input.abTestId);
      const variant = input.winner === 'A' ? t.variant_a : t.variant_b;
      const result = await promoteStrategy(pool, { abTestId: input.abTestId, modelId: t.model_id, winner: input.winner, variant, analysis: input.analysis });
      log.info({ abTestId: input.abTestId, winner: input.winner, contextId: variant.contextId, promoted: result.promoted }, 'A/B test winner promoted');
      return result;
    },

    /** Records an inconclusive or aborted test and routes everything back to variant A. */
    async closeAbTest(input: { abTestId: string; status: 'inconclusive' | 'aborted'; analysis: AbAnalysis | null }): Promise<void> {
      await closeAbTest(pool, input.abTestId, input.status, input.analysis);
    },
  };
}
