import type pg from 'pg';
import { z } from 'zod';
import { withTransaction, type Pool } from './pool.js';
import { defined } from '../platform/defined.js';

export type Weights = Record<string, number>;

export const weightsSchema = z
  .record(z.string().min(1), z.number().int('must be a whole percent').min(0).max(100))
  .refine((w) => Object.keys(w).length > 0, 'must name at least one version')
  .refine((w) => Object.values(w).reduce((a, b) => a + b, 0) === 100, {
    error: 'must sum to 100',
  });

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** One route: a model version, the context it is given (both null: none) and its share of the traffic. */
export interface VariantRoute {
  version: string;
  contextId: string | null;
  contextVersion: number | null;
  percent: number;
}

export const variantRoutesSchema = z
  .array(
    z
      .strictObject({
        version: z.string().min(1),
        contextId: z.string().min(1).nullable().default(null),
        contextVersion: z.number().int().min(1).max(2_147_483_647, 'must fit an integer column').nullable().default(null),
        percent: z.number().int('must be a whole percent').min(0).max(100),
      })
      .refine((r) => (r.contextId === null) === (r.contextVersion === null), 'contextId and contextVersion go together'),
  )
  .min(1, 'must name at least one variant')
  .refine((rs) => rs.reduce((a, r) => a + r.percent, 0) === 100, { error: 'must sum to 100' })
  .refine((rs) => new Set(rs.map(variantKey)).size === rs.length, { error: 'must not name a variant twice' });

/** Identifies a variant within a model: its version, plus its context version when it has one. */
export function variantKey(r: Pick<VariantRoute, 'version' | 'contextId' | 'contextVersion'>): string {
  return r.contextId === null ? r.version : `${r.version}+${r.contextId}@${String(r.contextVersion)}`;
}

/** "v1+drifted-phrasebook@2" → that variant; "v1" → v1 without a context; undefined when it is neither. */
export function parseVariantKey(key: string): Omit<VariantRoute, 'percent'> | undefined {
  const m = /^([^+@=\s]+)(?:\+([^+@=\s]+)@([1-9]\d*))?$/.exec(key);
  if (!m) return undefined;
  return {
    version: defined(m[1], 'version in the variant key'),
    contextId: m[2] ?? null,
    contextVersion: m[3] === undefined ? null : Number(m[3]),
  };
}

/** Each version's total share, whatever contexts it is served with. */
export function weightsOf(routes: readonly VariantRoute[]): Weights {
  const w: Weights = {};
  for (const r of routes) w[r.version] = (w[r.version] ?? 0) + r.percent;
  return w;
}

/** All models' routes, or those of the models named; a model without routes is absent from the map. */
export async function readRoutes(db: Pool | pg.ClientBase, modelIds?: string | readonly string[]): Promise<Map<string, VariantRoute[]>> {
  const only = modelIds === undefined ? null : typeof modelIds === 'string' ? [modelIds] : modelIds;
  const { rows } = await db.query<{
    model_id: string;
    version: string;
    context_id: string | null;
    context_version: number | null;
    percent: number;
  }>(
    `SELECT model_id, version, context_id, context_version, percent FROM routing_weights
     WHERE $1::text[] IS NULL OR model_id = ANY($1) ORDER BY model_id, version, context_id NULLS FIRST, context_version`,
    [only],
  );
  const byModel = new Map<string, VariantRoute[]>();
  for (const r of rows) {
    const routes = byModel.get(r.model_id) ?? [];
    routes.push({ version: r.version, contextId: r.context_id, contextVersion: r.context_version, percent: r.percent });
    byModel.set(r.model_id, routes);
  }
  return byModel;
}

/** All models' weights per version (see readRoutes for the variants behind them). */
export async function readWeights(db: Pool | pg.ClientBase, modelIds?: string | readonly string[]): Promise<Map<string, Weights>> {
  const routes = await readRoutes(db, modelIds);
  return new Map([...routes].map(([modelId, r]) => [modelId, weightsOf(r)]));
}

/**
 * Replaces a model's weights in one transaction (the database refuses a sum other than 100 at commit,
 * and a version that is not registered); the NOTIFY trigger tells every router.
 */
export function writeWeights(pool: Pool, modelId: string, weights: Weights, changedBy: string): Promise<void> {
  return commitRoutes(pool, (c) => replaceWeights(c, modelId, weights, changedBy));
}

/** writeWeights for variants: versions with the context each is served with. */
export function writeVariantRoutes(pool: Pool, modelId: string, routes: readonly VariantRoute[], changedBy: string): Promise<void> {
  return commitRoutes(pool, (c) => replaceRoutes(c, modelId, routes, changedBy));
}

async function commitRoutes(pool: Pool, write: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  try {
    await withTransaction(pool, write);
  } catch (err) {
    // The deferred sum trigger refused the commit (a writer outside this function changed the same model).
    if ((err as { code?: string }).code === '23514') throw new WeightsError((err as Error).message);
    throw err;
  }
}

/** writeWeights inside a caller's transaction, so a weight change and the record of it commit together. */
export async function replaceWeights(c: pg.ClientBase, modelId: string, weights: Weights, changedBy: string): Promise<void> {
  const parsed = weightsSchema.safeParse(weights);
  if (!parsed.success) {
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    throw new WeightsError(`weights for ${modelId} ${defined(parsed.error.issues[0], 'weights issue').message} (got ${total})`);
  }
  await writeRoutes(
    c,
    modelId,
    Object.entries(weights).map(([version, percent]) => ({ version, contextId: null, contextVersion: null, percent })),
    changedBy,
  );
}

/** Replaces a model's routes with variants (version and context), inside the caller's transaction. */
export async function replaceRoutes(c: pg.ClientBase, modelId: string, routes: readonly VariantRoute[], changedBy: string): Promise<void> {
  const parsed = variantRoutesSchema.safeParse(routes);
  if (!parsed.success) {
    const asked = routes.map((r) => `${variantKey(r)}=${r.percent}`).join(' ');
    throw new WeightsError(`routes for ${modelId} ${defined(parsed.error.issues[0], 'routes issue').message}: ${asked}`);
  }
  await writeRoutes(c, modelId, parsed.data, changedBy);
}

async function writeRoutes(c: pg.ClientBase, modelId: string, routes: readonly VariantRoute[], changedBy: string): Promise<void> {
  try {
    // Writers of one model's weights take turns, so two concurrent changes both land instead of one
    // failing the sum check against the other's half-committed rows.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`routing_weights:${modelId}`]);
    await c.query(
      `DELETE FROM routing_weights w WHERE model_id = $1 AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS r(version text, "contextId" text, "contextVersion" int)
         WHERE r.version = w.version AND r."contextId" IS NOT DISTINCT FROM w.context_id
           AND r."contextVersion" IS NOT DISTINCT FROM w.context_version)`,
      [modelId, JSON.stringify(routes)],
    );
    for (const r of routes) {
      await c.query(
        `INSERT INTO routing_weights (model_id, version, context_id, context_version, percent, changed_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (model_id, version, context_id, context_version) DO UPDATE
           SET percent = EXCLUDED.percent, changed_by = EXCLUDED.changed_by, changed_at = now()`,
        [modelId, r.version, r.contextId, r.contextVersion, r.percent, changedBy],
      );
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23503') {
      throw new WeightsError(
        `routes for ${modelId} name a version or context that is not registered: ${routes.map(variantKey).join(', ')}`,
      );
    }
    throw err;
  }
}
