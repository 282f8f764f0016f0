import type { Db, PoolClient } from './pool.js';

/**
 * One variant of an application behind the router. Every variant answers every request; `percent` is its share of
 * the live answers (the rest it gives in shadow, stored beside the live one for comparison).
 */
export interface ApplicationRoute {
  variant: string;
  percent: number;
  baseline: boolean;
  requirementsVersion: number;
  /** The learning cycle that deployed it: the requests it serves are that cycle's to monitor. */
  cycleId: string;
}

/** All applications' routes, or those of the applications named; an application without routes is absent. */
export async function readApplicationRoutes(db: Db, applications?: readonly string[]): Promise<Map<string, ApplicationRoute[]>> {
  const { rows } = await db.query<{
    application: string;
    variant: string;
    percent: number;
    baseline: boolean;
    requirements_version: number;
    cycle_id: string;
  }>(
    `SELECT application, variant, percent, baseline, requirements_version, cycle_id FROM application_routes
      WHERE $1::text[] IS NULL OR application = ANY($1::text[]) ORDER BY application, variant`,
    [applications ?? null],
  );
  const routes = new Map<string, ApplicationRoute[]>();
  for (const r of rows) {
    const list = routes.get(r.application) ?? [];
    list.push({
      variant: r.variant,
      percent: r.percent,
      baseline: r.baseline,
      requirementsVersion: r.requirements_version,
      cycleId: r.cycle_id,
    });
    routes.set(r.application, list);
  }
  return routes;
}

/**
 * Replaces an application's routes (none: takes it off the router). Run inside a transaction: the sum and
 * baseline checks are deferred to commit, and routers see the change only then.
 */
export async function replaceApplicationRoutes(c: PoolClient, application: string, routes: readonly ApplicationRoute[]): Promise<void> {
  await c.query(`DELETE FROM application_routes WHERE application = $1`, [application]);
  for (const r of routes) {
    await c.query(
      `INSERT INTO application_routes (application, variant, percent, baseline, requirements_version, cycle_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [application, r.variant, r.percent, r.baseline, r.requirementsVersion, r.cycleId],
    );
  }
}

/** Live shares split evenly over the variants in whole percents, the remainder to the first ones: 34/33/33. */
export function evenShares(count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(100 / count) + (i < 100 % count ? 1 : 0));
}
