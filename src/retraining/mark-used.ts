import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { UnknownExamplesError } from './unknown-examples.js';


/**
 * Records that a retraining run learned from these requests, with their quality score and input embedding (from
 * example_embeddings, so later runs deduplicate against them). A request already recorded keeps its first row,
 * so marking twice changes nothing; an id that is not the model's request with output and feedback fails the
 * whole call and writes nothing.
 */
export async function markExamplesUsed(
  pool: Pool,
  input: { modelId: string; requestIds: readonly string[]; trainingRunId?: string },
): Promise<{ inserted: number; alreadyUsed: number }> {
  const ids = [...new Set(input.requestIds)];
  return withTransaction(pool, async (c) => {
    const inserted = await c.query(
      `INSERT INTO phase4_training_data (request_id, model_id, training_run_id, input, output, quality_score, embedding)
       SELECT r.request_id, r.model_id, $3::uuid, r.input, r.output,
              f.test_pass_rate - 0.5 * f.implementation_variance, e.embedding
       FROM unnest($2::uuid[]) AS u (id)
       JOIN inference_requests r ON r.request_id = u.id AND r.model_id = $1 AND r.output IS NOT NULL
       JOIN feedback f ON f.request_id = r.request_id
       LEFT JOIN example_embeddings e ON e.request_id = r.request_id
       ON CONFLICT (request_id) DO NOTHING`,
      [input.modelId, ids, input.trainingRunId ?? null],
    );
    const missing = await c.query<{ id: string }>(
      `SELECT u.id::text AS id FROM unnest($2::uuid[]) AS u (id)
       WHERE NOT EXISTS (SELECT 1 FROM phase4_training_data p WHERE p.request_id = u.id AND p.model_id = $1)`,
      [input.modelId, ids],
    );
    if (missing.rows.length > 0) throw new UnknownExamplesError(missing.rows.map((r) => r.id), "are not this model's requests with output and feedback");
    const n = inserted.rowCount ?? 0;
    return { inserted: n, alreadyUsed: ids.length - n };
  });
}
