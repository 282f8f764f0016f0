import type { Pool } from './pool.js';
import type { DbTime } from './rollouts.js';
import { defined } from '../platform/defined.js';

/** One version's feedback over a window, as src/rollout's health checks read it (see src/rollout/metrics.ts). */
export interface VersionMetrics {
  version: string;
  samples: number;
  passRate: number;
  passRateSumSq: number;
  variance: number;
  errorRate: number;
  latencyP95Ms: number | null;
}

export interface MetricsWindow {
  modelId: string;
  versions: readonly string[];
  /** Exclusive start. */
  since: DbTime;
  /** Inclusive end; `now() - lagMs` when absent. */
  until?: DbTime;
  lagMs?: number;
}

/**
 * Each version's metrics over (since, until], in the order the versions were asked for (a join's output order is the
 * planner's choice, and a swapped candidate and baseline would judge the wrong model).: feedback rows by their time, requests by theirs. Windows that share
 * their bounds count every row exactly once, which the sequential test relies on.
 */
export async function readVersionMetrics(pool: Pool, w: MetricsWindow): Promise<{ until: DbTime; metrics: VersionMetrics[] }> {
  const { rows: bound } = await pool.query<{ until: string }>(
    `SELECT coalesce($1::timestamptz, now() - make_interval(secs => $2::double precision / 1000))::text AS until`,
    [w.until ?? null, w.lagMs ?? 0],
  );
  const until = defined(bound[0], 'metrics window bound row').until;
  const { rows } = await pool.query<{
    version: string;
    samples: number;
    pass_rate: number;
    pass_rate_sum_sq: number;
    variance: number;
    latency_p95_ms: number | null;
    requests: number;
    errored: number;
  }>(
    `WITH fb AS (
       SELECT f.version, count(*)::int AS samples,
              avg(f.test_pass_rate)::float8 AS pass_rate,
              sum(f.test_pass_rate::float8 * f.test_pass_rate::float8) AS pass_rate_sum_sq,
              avg(f.implementation_variance)::float8 AS variance,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY coalesce(f.latency_ms, r.latency_ms)) AS latency_p95_ms
       FROM feedback f JOIN inference_requests r USING (request_id)
       WHERE f.model_id = $1 AND f.version = ANY($2::text[]) AND f.at > $3::timestamptz AND f.at <= $4::timestamptz
       GROUP BY f.version
     ), req AS (
       SELECT r.version, count(*)::int AS requests,
              (count(*) FILTER (WHERE r.error IS NOT NULL OR f.error IS NOT NULL))::int AS errored
       FROM inference_requests r LEFT JOIN feedback f USING (request_id)
       WHERE r.model_id = $1 AND r.version = ANY($2::text[]) AND r.at > $3::timestamptz AND r.at <= $4::timestamptz
       GROUP BY r.version
     )
     SELECT v.version, coalesce(fb.samples, 0) AS samples, coalesce(fb.pass_rate, 0) AS pass_rate,
            coalesce(fb.pass_rate_sum_sq, 0) AS pass_rate_sum_sq, coalesce(fb.variance, 0) AS variance,
            fb.latency_p95_ms, coalesce(req.requests, 0) AS requests, coalesce(req.errored, 0) AS errored
     FROM unnest($2::text[]) WITH ORDINALITY AS v(version, n)
     LEFT JOIN fb USING (version) LEFT JOIN req USING (version)
     ORDER BY v.n`,
    [w.modelId, w.versions, w.since, until],
  );
  const metrics = rows.map(
    (r): VersionMetrics => ({
      version: r.version,
      samples: r.samples,
      // Mean of reals in [0, 1] can land a hair outside it in float8.
      passRate: Math.min(1, Math.max(0, r.pass_rate)),
      passRateSumSq: r.pass_rate_sum_sq,
      variance: r.variance,
      errorRate: r.requests === 0 ? 0 : r.errored / r.requests,
      latencyP95Ms: r.latency_p95_ms,
    }),
  );
  return { until, metrics };
}

export interface CheckWindows {
  modelId: string;
  versions: readonly string[];
  /** The previous check's `until`: rows after it are new to this check. */
  since: DbTime;
  /** How far back the check's window reaches from its end. */
  windowMs: number;
  /** The window never reaches back before this (the rollout's first traffic change). */
  notBefore: DbTime;
  lagMs?: number;
}

/**
 * One health check's two reads, ending at the same instant (`now() - lagMs`): `window`, each version's metrics over
 * the last `windowMs` (from `notBefore` at the earliest), which the check's rules judge; and `sinceLastCheck`, over
 * (since, until], which the sequential test folds in, so that a row counts in it once however many windows hold it.
 */
export async function readCheckWindows(
  pool: Pool,
  w: CheckWindows,
): Promise<{ until: DbTime; window: VersionMetrics[]; sinceLastCheck: VersionMetrics[] }> {
  const { rows } = await pool.query<{ until: string; start: string }>(
    `SELECT until::text, greatest(until - make_interval(secs => $2::double precision / 1000), $3::timestamptz)::text AS start
       FROM (SELECT now() - make_interval(secs => $1::double precision / 1000) AS until) t`,
    [w.lagMs ?? 0, w.windowMs, w.notBefore],
  );
  const { until, start } = defined(rows[0], 'check windows row');
  const [window, fresh] = await Promise.all([
    readVersionMetrics(pool, { modelId: w.modelId, versions: w.versions, since: start, until }),
    readVersionMetrics(pool, { modelId: w.modelId, versions: w.versions, since: w.since, until }),
  ]);
  return { until, window: window.metrics, sinceLastCheck: fresh.metrics };
}
