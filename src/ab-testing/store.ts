import {
  endAbTestWithWinner,
  endRunningAbTest,
  insertPromotedStrategy,
  insertSnapshot,
  readSnapshotRows,
  readVariantTraffic,
} from '../db/ab-tests.js';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { replaceRoutes, type VariantRoute } from '../db/routing-weights.js';
import type { AbAnalysis, Variant } from './analysis.js';
import { metricsSnapshotSchema, type MetricsSnapshot } from './metrics.js';
import type { VariantSpec } from './input.js';

export interface AbTestRecord {
  id: string;
  modelId: string;
  variantA: VariantSpec;
  variantB: VariantSpec;
  trafficSplit: number;
  alpha: number;
}

/**
 * One variant's metrics over (from, to]: requests served by its model version with its context, their error rate,
 * latency p50/p99, mean feedback pass rate, and the CPU time and memory the router measured. Null without requests.
 */
export async function measureVariant(
  pool: Pool,
  w: { modelId: string; variant: VariantSpec; from: Date | string; to: Date | string },
): Promise<MetricsSnapshot | null> {
  const r = await readVariantTraffic(pool, w);
  if (r.requests === 0) return null;
  // A per-request average is only that when every request was measured.
  const complete = (value: number | null, n: number) => (n === r.requests ? value : null);
  return metricsSnapshotSchema.parse({
    requests: r.requests,
    errorRate: r.error_rate,
    latencyP50Ms: r.p50 ?? 0,
    latencyP99Ms: r.p99 ?? 0,
    successRate: r.success_rate,
    cpuMsPerRequest: complete(r.cpu, r.cpu_n),
    memoryBytesPerRequest: complete(r.memory, r.memory_n),
  });
}

/** Keeps the first reading of a snapshot: a retried activity returns what was stored, not a re-measurement. */
export async function recordSnapshot(
  pool: Pool,
  s: {
    abTestId: string;
    snapshotNo: number;
    variant: Variant;
    windowStart: Date | string;
    windowEnd: Date | string;
    metrics: MetricsSnapshot;
  },
): Promise<MetricsSnapshot> {
  return metricsSnapshotSchema.parse(await insertSnapshot(pool, s));
}

export async function readSnapshots(pool: Pool, abTestId: string): Promise<Record<Variant, MetricsSnapshot[]>> {
  const out: Record<Variant, MetricsSnapshot[]> = { A: [], B: [] };
  for (const r of await readSnapshotRows(pool, abTestId)) out[r.variant].push(metricsSnapshotSchema.parse(r.metrics));
  return out;
}

/**
 * Ends a running test as inconclusive or aborted and gives all traffic back to variant A's version (the control);
 * a test already ended keeps its outcome and the routes are left alone.
 */
export async function closeAbTest(pool: Pool, id: string, status: 'inconclusive' | 'aborted', analysis: AbAnalysis | null): Promise<void> {
  await withTransaction(pool, async (c) => {
    const ended = await endRunningAbTest(c, id, status, analysis);
    if (ended) await replaceRoutes(c, ended.model_id, [variantRoute(ended.variant_a, 100)], `abTest ${id}`);
  });
}

/** A variant as a route: the router serves its version with its context to `percent` of the users. */
export function variantRoute(v: VariantSpec, percent: number): VariantRoute {
  return { version: v.version, contextId: v.contextId, contextVersion: v.contextVersion, percent };
}

/**
 * Promotes the winner: its context into the library with the test as evidence, all of the model's traffic to it
 * (its version with its context), the test closed, in one transaction. A second call for the same test changes nothing.
 */
export async function promoteStrategy(
  pool: Pool,
  p: { abTestId: string; modelId: string; winner: Variant; variant: VariantSpec; analysis: AbAnalysis },
): Promise<{ promoted: boolean }> {
  return withTransaction(pool, async (c) => {
    const promoted = await insertPromotedStrategy(c, {
      abTestId: p.abTestId,
      modelId: p.modelId,
      variant: p.variant,
      evidence: p.analysis,
    });
    if (!promoted) return { promoted: false };
    await replaceRoutes(c, p.modelId, [variantRoute(p.variant, 100)], `abTest ${p.abTestId}`);
    await endAbTestWithWinner(c, p.abTestId, p.winner, p.analysis);
    return { promoted: true };
  });
}
