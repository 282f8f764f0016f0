import type pg from 'pg';
import { z } from 'zod';
import { withTransaction, type Pool } from './pool.js';

export type Weights = Record<string, number>;

export const weightsSchema = z
  .record(z.string().min(1), z.number().int('must be a whole percent').min(0).max(100))
  .refine((w) => Object.keys(w).length > 0, 'must name at least one version')
  .refine((w) => Object.values(w).reduce((a, b) => a + b, 0) === 100, {
    message: 'must sum to 100',
  });

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** All models' weights, or those of the models named; a model without routes is absent from the map. */
export async function readWeights(db: Pool | pg.ClientBase, modelIds?: string | readonly string[]): Promise<Map<string, Weights>> {
  const only = modelIds === undefined ? null : typeof modelIds === 'string' ? [modelIds] : modelIds;
  const { rows } = await db.query<{ model_id: string; version: string; percent: number }>(
    'SELECT model_id, version, percent FROM routing_weights WHERE $1::text[] IS NULL OR model_id = ANY($1) ORDER BY model_id, version',
    [only],
  );
  const byModel = new Map<string, Weights>();
  for (const r of rows) {
    const w = byModel.get(r.model_id) ?? {};
    w[r.version] = r.percent;
    byModel.set(r.model_id, w);
  }
  return byModel;
}

/**
 * Replaces a model's weights in one transaction (the database refuses a sum other than 100 at commit,
 * and a version that is not registered); the NOTIFY trigger tells every router.
 */
export async function writeWeights(pool: Pool, modelId: string, weights: Weights, changedBy: string): Promise<void> {
  try {
    await withTransaction(pool, (c) => replaceWeights(c, modelId, weights, changedBy));
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
    throw new WeightsError(`weights for ${modelId} ${parsed.error.issues[0]!.message} (got ${total})`);
  }
  try {
    // Writers of one model's weights take turns, so two concurrent changes both land instead of one
    // failing the sum check against the other's half-committed rows.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`routing_weights:${modelId}`]);
    await c.query('DELETE FROM routing_weights WHERE model_id = $1 AND NOT (version = ANY($2::text[]))', [
      modelId,
      Object.keys(weights),
    ]);
    for (const [version, percent] of Object.entries(weights)) {
      await c.query(
        `INSERT INTO routing_weights (model_id, version, percent, changed_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (model_id, version) DO UPDATE
           SET percent = EXCLUDED.percent, changed_by = EXCLUDED.changed_by, changed_at = now()`,
        [modelId, version, percent, changedBy],
      );
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23503') {
      throw new WeightsError(`weights for ${modelId} name a version that is not registered: ${Object.keys(weights).join(', ')}`);
    }
    throw err;
  }
}
