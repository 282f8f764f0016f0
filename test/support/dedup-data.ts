import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { Pool } from '../../src/db/pool.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { embedWithCache } from '../../src/models/embedding-cache.js';
import { distinctRequirementTexts } from '../../src/reference/requirement-texts.js';
import { deduplicate } from '../../src/retraining/deduplicate.js';
import { storeEmbeddings } from '../../src/db/embeddings.js';
import { nearestUsedExamples, type NeighbourOptions, type UsedNeighbour } from '../../src/retraining/embedding-store.js';
import { markExamplesUsed } from '../../src/retraining/mark-used.js';

/**
 * One data set for the exact dedup test (test/retraining) and the HNSW one (test/vector): reference requirements
 * (many near-duplicates) encoded by the real all-MiniLM-L6-v2, the first `used` of them the examples a model has
 * already learned from, the next `candidates` a retraining run's candidates. Vectors are cached under
 * LEARNLOOP_HOME/cache, so only the first run encodes them.
 */
export interface DedupData {
  usedIds: string[];
  usedVectors: Float32Array[];
  candidateIds: string[];
  candidateVectors: Float32Array[];
}

export const DEDUP_DATA_SIZE = { used: 2000, candidates: 200 } as const;

const requestId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

export async function dedupData(): Promise<DedupData> {
  const { used, candidates } = DEDUP_DATA_SIZE;
  const texts = distinctRequirementTexts(used + candidates);
  const config = loadConfig();
  const embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
  let vectors: Float32Array[];
  try {
    vectors = await embedWithCache(embedder, texts, path.join(config.home, 'cache'));
  } finally {
    await embedder.close();
  }
  return {
    usedIds: texts.slice(0, used).map((_, i) => requestId(i)),
    usedVectors: vectors.slice(0, used),
    candidateIds: texts.slice(used).map((_, i) => `candidate-${i}`),
    candidateVectors: vectors.slice(used),
  };
}

/** Stores the used examples as the router and a retraining run would have: request, feedback, embedding, marked used. */
export async function storeUsedExamples(pool: Pool, modelId: string, data: DedupData): Promise<void> {
  await pool.query('INSERT INTO models (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [modelId]);
  await pool.query(
    `WITH r AS (
       INSERT INTO inference_requests (request_id, model_id, version, input, output, latency_ms)
       SELECT id, $2, 'v1', '{}'::jsonb, '{}'::jsonb, 1 FROM unnest($1::uuid[]) AS u (id)
       RETURNING request_id)
     INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance)
     SELECT request_id, $2, 'v1', 1, 0 FROM r`,
    [data.usedIds, modelId],
  );
  await storeEmbeddings(pool, new Map(data.usedIds.map((id, i) => [id, data.usedVectors[i]!])));
  await markExamplesUsed(pool, { modelId, requestIds: data.usedIds });
  await pool.query('ANALYZE phase4_training_data');
}

/** Deduplicates the candidates against each other and the used examples, as retraining does, on the path `options` picks. */
export async function dedupCandidates(
  pool: Pool,
  modelId: string,
  data: DedupData,
  options: Omit<NeighbourOptions, 'limit'>,
): Promise<{ kept: string[]; nearest: (UsedNeighbour | null)[] }> {
  const nearest = await nearestUsedExamples(pool, modelId, data.candidateVectors, options);
  const { kept } = deduplicate(
    data.candidateIds.map((requestId, i) => ({ requestId, embedding: data.candidateVectors[i]! })),
    nearest,
  );
  return { kept, nearest };
}
