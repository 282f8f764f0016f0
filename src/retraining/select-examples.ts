import type { Pool } from '../db/pool.js';
import { qualifyingCriteria } from './criteria.js';

export interface SelectedExample {
  requestId: string;
  version: string;
  /** The request's input text: what the model is trained on and what deduplication compares. */
  text: string;
  /** What the model answered, as the router stored it; the training label. */
  output: unknown;
  testPassRate: number;
  implementationVariance: number;
  /** pass rate − 0.5 × variance: the specs' quality score (the sample weight); it orders ties of pass rate. */
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

const criteriaParams = (modelId: string) => [
  modelId,
  qualifyingCriteria.windowDays,
  qualifyingCriteria.minPassRate,
  qualifyingCriteria.maxVariance,
];

/**
 * The best `limit` qualifying examples of a model in the specs' order, `ORDER BY test_pass_rate DESC`; of equal pass
 * rates (the text leaves ties open) the higher quality score, the more consistent one, then the newest first.
 */
export async function selectExamples(pool: Pool, input: { modelId: string; limit: number }): Promise<SelectedExample[]> {
  const { rows } = await pool.query<SelectedExample>(
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
    [...criteriaParams(input.modelId), input.limit],
  );
  return rows;
}

/** How many examples would qualify now: the data-threshold trigger's measure. */
export async function countQualifyingExamples(pool: Pool, modelId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n ${QUALIFYING}`, criteriaParams(modelId));
  return rows[0]!.n;
}
