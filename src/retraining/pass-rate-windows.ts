import type { Pool } from '../db/pool.js';

export interface PassRateWindow {
  /** Mean test pass rate of the window's feedback; null when it has none. */
  passRate: number | null;
  feedbackCount: number;
}

export interface PassRateWindows {
  recent: PassRateWindow;
  baseline: PassRateWindow;
}

/**
 * A model's pass rate (all versions) over the last `recentHours`, and over the `baselineDays` before that: the
 * windows do not overlap, so a fresh drop is not diluted into its own baseline.
 */
export async function passRateWindows(
  pool: Pool,
  input: { modelId: string; recentHours: number; baselineDays: number },
): Promise<PassRateWindows> {
  const { rows } = await pool.query<{ recent: boolean; pass_rate: number | null; n: number }>(
    `WITH bounds AS (SELECT now() - $2::float8 * interval '1 hour' AS split)
     SELECT f.at > b.split AS recent, avg(f.test_pass_rate)::float8 AS pass_rate, count(*)::int AS n
     FROM feedback f, bounds b
     WHERE f.model_id = $1
       AND f.at > b.split - $3::float8 * interval '1 day'
       AND f.at <= now()
     GROUP BY 1`,
    [input.modelId, input.recentHours, input.baselineDays],
  );
  const window = (recent: boolean): PassRateWindow => {
    const row = rows.find((r) => r.recent === recent);
    return { passRate: row?.pass_rate ?? null, feedbackCount: row?.n ?? 0 };
  };
  return { recent: window(true), baseline: window(false) };
}
