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

/** Registers a test; a retried start finds its row. */
export async function createAbTest(pool: Pool, t: AbTestRecord): Promise<void> {
  await pool.query(
    `INSERT INTO ab_tests (id, model_id, variant_a, variant_b, traffic_split, alpha) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO NOTHING`,
    [t.id, t.modelId, JSON.stringify(t.variantA), JSON.stringify(t.variantB), t.trafficSplit, t.alpha],
  );
}

/**
 * One variant's metrics over (from, to]: requests served by its model version with its context, their error rate,
 * latency p50/p99, mean feedback pass rate, and the CPU time and memory the router measured. Null without requests.
 */
export async function measureVariant(
  pool: Pool,
  w: { modelId: string; variant: VariantSpec; from: Date | string; to: Date | string },
): Promise<MetricsSnapshot | null> {
  const { rows } = await pool.query<{
    requests: number; error_rate: number; p50: number | null; p99: number | null; success_rate: number | null;
    cpu: number | null; cpu_n: number; memory: number | null; memory_n: number;
  }>(
    `SELECT count(*)::int AS requests,
            coalesce(avg((r.error IS NOT NULL OR f.error IS NOT NULL)::int), 0)::float8 AS error_rate,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY r.latency_ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) AS p99,
            avg(f.test_pass_rate)::float8 AS success_rate,
            avg(r.cpu_ms)::float8 AS cpu, count(r.cpu_ms)::int AS cpu_n,
            avg(r.memory_bytes)::float8 AS memory, count(r.memory_bytes)::int AS memory_n
     FROM inference_requests r LEFT JOIN feedback f USING (request_id)
     WHERE r.model_id = $1 AND r.version = $2 AND r.context_id = $3 AND r.context_version = $4
       AND r.at > $5::timestamptz AND r.at <= $6::timestamptz`,
    [w.modelId, w.variant.version, w.variant.contextId, w.variant.contextVersion, w.from, w.to],
  );
  const r = rows[0]!;
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
  s: { abTestId: string; snapshotNo: number; variant: Variant; windowStart: Date | string; windowEnd: Date | string; metrics: MetricsSnapshot },
): Promise<MetricsSnapshot> {
  await pool.query(
    `INSERT INTO ab_test_snapshots (ab_test_id, snapshot_no, variant, window_start, window_end, metrics)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [s.abTestId, s.snapshotNo, s.variant, s.windowStart, s.windowEnd, JSON.stringify(s.metrics)],
  );
  const { rows } = await pool.query<{ metrics: unknown }>(
    'SELECT metrics FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no = $2 AND variant = $3',
    [s.abTestId, s.snapshotNo, s.variant],
  );
  return metricsSnapshotSchema.parse(rows[0]!.metrics);
}

export async function readSnapshots(pool: Pool, abTestId: string): Promise<Record<Variant, MetricsSnapshot[]>> {
  const { rows } = await pool.query<{ variant: Variant; metrics: unknown }>(
    'SELECT variant, metrics FROM ab_test_snapshots WHERE ab_test_id = $1 ORDER BY snapshot_no',
    [abTestId],
  );
  const out: Record<Variant, MetricsSnapshot[]> = { A: [], B: [] };
  for (const r of rows) out[r.variant].push(metricsSnapshotSchema.parse(r.metrics));
  return out;
}

/**
 * Ends a running test as inconclusive or aborted and gives all traffic back to variant A's version (the control);
 * a test already ended keeps its outcome and the routes are left alone.
 */
export async function closeAbTest(pool: Pool, id: string, status: 'inconclusive' | 'aborted', analysis: AbAnalysis | null): Promise<void> {
  await withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ model_id: string; variant_a: VariantSpec }>(
      `UPDATE ab_tests SET status = $2, analysis = $3, ended_at = now() WHERE id = $1 AND status = 'running'
       RETURNING model_id, variant_a`,
      [id, status, analysis && JSON.stringify(analysis)],
    );
    if (rows[0]) await replaceRoutes(c, rows[0].model_id, [variantRoute(rows[0].variant_a, 100)], `abTest ${id}`);
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
    const { rowCount } = await c.query(
      `INSERT INTO promoted_strategies (context_id, context_version, model_id, ab_test_id, evidence)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ab_test_id) DO NOTHING`,
      [p.variant.contextId, p.variant.contextVersion, p.modelId, p.abTestId, JSON.stringify(p.analysis)],
    );
    if (rowCount === 0) return { promoted: false };
    await replaceRoutes(c, p.modelId, [variantRoute(p.variant, 100)], `abTest ${p.abTestId}`);
    await c.query(
      `UPDATE ab_tests SET status = 'winner', winner = $2, analysis = $3, ended_at = now() WHERE id = $1`,
      [p.abTestId, p.winner, JSON.stringify(p.analysis)],
    );
    return { promoted: true };
  });
}
