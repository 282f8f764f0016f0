import type { Db, PoolClient } from './pool.js';
import { defined } from '../platform/defined.js';

/** A tested variant as the ab_tests row stores it: a model version with a context version. */
export interface AbTestVariant {
  version: string;
  contextId: string;
  contextVersion: number;
}

export type AbTestArm = 'A' | 'B';

export interface AbTestRow {
  model_id: string;
  variant_a: AbTestVariant;
  variant_b: AbTestVariant;
  alpha: number;
  started_at: Date;
}

/** Registers a test; a retried start finds its row. */
export async function insertAbTest(
  db: Db,
  t: { id: string; modelId: string; variantA: AbTestVariant; variantB: AbTestVariant; trafficSplit: number; alpha: number },
): Promise<void> {
  await db.query(
    `INSERT INTO ab_tests (id, model_id, variant_a, variant_b, traffic_split, alpha) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO NOTHING`,
    [t.id, t.modelId, JSON.stringify(t.variantA), JSON.stringify(t.variantB), t.trafficSplit, t.alpha],
  );
}

export async function readAbTest(db: Db, id: string): Promise<AbTestRow | undefined> {
  const { rows } = await db.query<AbTestRow>('SELECT model_id, variant_a, variant_b, alpha, started_at FROM ab_tests WHERE id = $1', [id]);
  return rows[0];
}

/**
 * Snapshot `snapshotNo`'s window by the database's clock: from the previous snapshot's end (or `startedAt`) to
 * this snapshot's end where one is stored already, now otherwise.
 */
export async function snapshotWindow(db: Db, abTestId: string, snapshotNo: number, startedAt: Date): Promise<{ from: Date; to: Date }> {
  const { rows } = await db.query<{ from: Date; to: Date }>(
    `SELECT coalesce((SELECT max(window_end) FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no < $2), $3) AS "from",
            coalesce((SELECT max(window_end) FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no = $2), now()) AS "to"`,
    [abTestId, snapshotNo, startedAt],
  );
  return defined(rows[0], 'snapshot window row');
}

export interface VariantTrafficRow {
  requests: number;
  error_rate: number;
  p50: number | null;
  p99: number | null;
  success_rate: number | null;
  cpu: number | null;
  cpu_n: number;
  memory: number | null;
  memory_n: number;
}

/**
 * Requests over (from, to] served by a model version with a context: their count, error rate, latency p50/p99,
 * mean feedback pass rate, and the mean CPU time and memory over the requests that have them (with their counts).
 */
export async function readVariantTraffic(
  db: Db,
  w: { modelId: string; variant: AbTestVariant; from: Date | string; to: Date | string },
): Promise<VariantTrafficRow> {
  const { rows } = await db.query<VariantTrafficRow>(
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
  return defined(rows[0], 'variant window metrics row');
}

/** Stores a snapshot unless one is stored already, and returns the stored metrics: the first reading wins. */
export async function insertSnapshot(
  db: Db,
  s: { abTestId: string; snapshotNo: number; variant: AbTestArm; windowStart: Date | string; windowEnd: Date | string; metrics: unknown },
): Promise<unknown> {
  await db.query(
    `INSERT INTO ab_test_snapshots (ab_test_id, snapshot_no, variant, window_start, window_end, metrics)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [s.abTestId, s.snapshotNo, s.variant, s.windowStart, s.windowEnd, JSON.stringify(s.metrics)],
  );
  const { rows } = await db.query<{ metrics: unknown }>(
    'SELECT metrics FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no = $2 AND variant = $3',
    [s.abTestId, s.snapshotNo, s.variant],
  );
  return defined(rows[0], 'ab_test_snapshots row').metrics;
}

/** A test's snapshots in snapshot order. */
export async function readSnapshotRows(db: Db, abTestId: string): Promise<{ variant: AbTestArm; metrics: unknown }[]> {
  const { rows } = await db.query<{ variant: AbTestArm; metrics: unknown }>(
    'SELECT variant, metrics FROM ab_test_snapshots WHERE ab_test_id = $1 ORDER BY snapshot_no',
    [abTestId],
  );
  return rows;
}

/** Ends a running test; undefined when it had ended already (its outcome stays). */
export async function endRunningAbTest(
  c: PoolClient,
  id: string,
  status: 'inconclusive' | 'aborted',
  analysis: unknown,
): Promise<{ model_id: string; variant_a: AbTestVariant } | undefined> {
  const { rows } = await c.query<{ model_id: string; variant_a: AbTestVariant }>(
    `UPDATE ab_tests SET status = $2, analysis = $3, ended_at = now() WHERE id = $1 AND status = 'running'
     RETURNING model_id, variant_a`,
    [id, status, analysis && JSON.stringify(analysis)],
  );
  return rows[0];
}

/** Puts a context into the library with the test as evidence; false when the test promoted one already. */
export async function insertPromotedStrategy(
  c: PoolClient,
  p: { abTestId: string; modelId: string; variant: AbTestVariant; evidence: unknown },
): Promise<boolean> {
  const { rowCount } = await c.query(
    `INSERT INTO promoted_strategies (context_id, context_version, model_id, ab_test_id, evidence)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ab_test_id) DO NOTHING`,
    [p.variant.contextId, p.variant.contextVersion, p.modelId, p.abTestId, JSON.stringify(p.evidence)],
  );
  return rowCount !== 0;
}

export async function endAbTestWithWinner(c: PoolClient, id: string, winner: AbTestArm, analysis: unknown): Promise<void> {
  await c.query(`UPDATE ab_tests SET status = 'winner', winner = $2, analysis = $3, ended_at = now() WHERE id = $1`, [
    id,
    winner,
    JSON.stringify(analysis),
  ]);
}
