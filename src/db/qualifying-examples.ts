import type { Db } from './pool.js';
import { defined } from '../platform/defined.js';

/** The bounds an example must clear; the caller's rule, the database only applies it. */
export interface QualifyingBounds {
  modelId: string;
  windowDays: number;
  /** Pass rate strictly above this. */
  minPassRate: number;
  /** Implementation variance strictly below this. */
  maxVariance: number;
}

export interface QualifyingExampleRow {
  requestId: string;
  version: string;
  text: string;
  output: unknown;
  testPassRate: number;
  implementationVariance: number;
  /** pass rate − 0.5 × variance. */
  qualityScore: number;
}

/**
 * One model's requests from the last `windowDays` whose feedback clears both bounds and that no retraining has
 * used yet. Bounds are compared as `real`, the columns' own type: a variance sent as 0.04 is stored as
 * 0.0399999991, which a numeric 0.04 would let through.
 */
const QUALIFYING = `
  FROM inference_requests r
  JOIN feedback f ON f.request_id = r.request_id
  WHERE r.model_id = $1
    AND r.at > now() - $2::int * interval '1 day'
    AND f.test_pass_rate > $3::real
    AND f.implementation_variance < $4::real
    AND r.error IS NULL
    AND r.output IS NOT NULL
    AND jsonb_typeof(r.input -> 'text') = 'string'
    AND NOT EXISTS (SELECT 1 FROM phase4_training_data p WHERE p.request_id = r.request_id)`;

const boundsParams = (b: QualifyingBounds) => [b.modelId, b.windowDays, b.minPassRate, b.maxVariance];

/**
 * The best `limit` qualifying examples, `ORDER BY test_pass_rate DESC`; of equal pass rates the higher quality
 * score, the more consistent one, then the newest first.
 */
export async function readQualifyingExamples(db: Db, bounds: QualifyingBounds, limit: number): Promise<QualifyingExampleRow[]> {
  const { rows } = await db.query<QualifyingExampleRow>(
    `SELECT r.request_id::text AS "requestId",
            r.version,
            r.input ->> 'text' AS text,
            r.output,
            f.test_pass_rate::float8 AS "testPassRate",
            f.implementation_variance::float8 AS "implementationVariance",
            f.test_pass_rate::float8 - 0.5 * f.implementation_variance::float8 AS "qualityScore"
     ${QUALIFYING}
     ORDER BY f.test_pass_rate DESC, "qualityScore" DESC, r.at DESC, r.request_id
     LIMIT $5`,
    [...boundsParams(bounds), limit],
  );
  return rows;
}

export async function countQualifying(db: Db, bounds: QualifyingBounds): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${QUALIFYING}`, boundsParams(bounds));
  return defined(rows[0], 'qualifying examples count row').n;
}
