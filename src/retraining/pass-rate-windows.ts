import { readPassRateWindows } from '../db/feedback.js';
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
  const rows = await readPassRateWindows(pool, input);
  const window = (recent: boolean): PassRateWindow => {
    const row = rows.find((r) => r.recent === recent);
    return { passRate: row?.pass_rate ?? null, feedbackCount: row?.n ?? 0 };
  };
  return { recent: window(true), baseline: window(false) };
}
