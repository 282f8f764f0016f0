import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { insertUsedExamples, readUnusedIds } from '../db/used-examples.js';
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
    const n = await insertUsedExamples(c, { modelId: input.modelId, requestIds: ids, trainingRunId: input.trainingRunId ?? null });
    const missing = await readUnusedIds(c, input.modelId, ids);
    if (missing.length > 0) throw new UnknownExamplesError(missing, "are not this model's requests with output and feedback");
    return { inserted: n, alreadyUsed: ids.length - n };
  });
}
