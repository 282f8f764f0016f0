import type { Db } from './pool.js';

/**
 * A model's feedback (all versions) over the last `recentHours` (`recent`) and over the `baselineDays` before that:
 * mean test pass rate and count of each window that has any.
 */
export async function readPassRateWindows(
  db: Db,
  w: { modelId: string; recentHours: number; baselineDays: number },
): Promise<{ recent: boolean; pass_rate: number | null; n: number }[]> {
  const { rows } = await db.query<{ recent: boolean; pass_rate: number | null; n: number }>(
    `WITH bounds AS (SELECT now() - $2::float8 * interval '1 hour' AS split)
     SELECT f.at > b.split AS recent, avg(f.test_pass_rate)::float8 AS pass_rate, count(*)::int AS n
     FROM feedback f, bounds b
     WHERE f.model_id = $1
       AND f.at > b.split - $3::float8 * interval '1 day'
       AND f.at <= now()
     GROUP BY 1`,
    [w.modelId, w.recentHours, w.baselineDays],
  );
  return rows;
}
