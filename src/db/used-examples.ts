import type pg from 'pg';

/**
 * Records in phase4_training_data the requests among `requestIds` that are the model's, with output and feedback:
 * their quality score (pass rate − 0.5 × variance) and input embedding (from example_embeddings). A request
 * recorded already keeps its first row. Returns how many rows were added.
 */
export async function insertUsedExamples(
  c: pg.ClientBase,
  u: { modelId: string; requestIds: readonly string[]; trainingRunId: string | null },
): Promise<number> {
  const { rowCount } = await c.query(
    `INSERT INTO phase4_training_data (request_id, model_id, training_run_id, input, output, quality_score, embedding)
     SELECT r.request_id, r.model_id, $3::uuid, r.input, r.output,
            f.test_pass_rate - 0.5 * f.implementation_variance, e.embedding
     FROM unnest($2::uuid[]) AS u (id)
     JOIN inference_requests r ON r.request_id = u.id AND r.model_id = $1 AND r.output IS NOT NULL
     JOIN feedback f ON f.request_id = r.request_id
     LEFT JOIN example_embeddings e ON e.request_id = r.request_id
     ON CONFLICT (request_id) DO NOTHING`,
    [u.modelId, u.requestIds, u.trainingRunId],
  );
  return rowCount ?? 0;
}

/** Those of `requestIds` that phase4_training_data does not hold for this model. */
export async function readUnusedIds(c: pg.ClientBase, modelId: string, requestIds: readonly string[]): Promise<string[]> {
  const { rows } = await c.query<{ id: string }>(
    `SELECT u.id::text AS id FROM unnest($2::uuid[]) AS u (id)
     WHERE NOT EXISTS (SELECT 1 FROM phase4_training_data p WHERE p.request_id = u.id AND p.model_id = $1)`,
    [modelId, requestIds],
  );
  return rows.map((r) => r.id);
}
