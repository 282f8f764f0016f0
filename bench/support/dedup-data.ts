import path from 'node:path';
import type { Config } from '../../src/config.js';
import type { Pool } from '../../src/db/pool.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { embedWithCache } from '../../src/models/embedding-cache.js';
import { distinctRequirementTexts } from '../../src/reference/requirement-texts.js';
import { analyzeUsedExamples, insertUsedRequests } from '../../src/db/embeddings.js';
import { insertModel } from '../../src/db/model-versions.js';

/**
 * The dedup benches' data: distinct requirement sentences from the reference generator (src/reference/
 * requirement-texts.ts), encoded by all-MiniLM-L6-v2.
 */
export const requirementSentences = distinctRequirementTexts;

/**
 * Sentences for a dedup bench: `used` ones to store as a model's used examples and `candidates` others to
 * deduplicate against them, with their embeddings. Each list is cached apart under LEARNLOOP_HOME/cache, so benches
 * with the same `used` share its vectors; the first run encodes them (minutes on 2 cores).
 */
export async function benchSentences(
  config: Config,
  counts: { used: number; candidates: number },
): Promise<{
  used: { texts: string[]; vectors: Float32Array[] };
  candidates: { texts: string[]; vectors: Float32Array[] };
  embedMs: number;
}> {
  const texts = requirementSentences(counts.used + counts.candidates);
  const embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
  try {
    const t = performance.now();
    const cache = path.join(config.home, 'cache');
    const used = texts.slice(0, counts.used);
    const candidates = texts.slice(counts.used);
    const usedVectors = await embedWithCache(embedder, used, cache);
    const candidateVectors = await embedWithCache(embedder, candidates, cache);
    return {
      used: { texts: used, vectors: usedVectors },
      candidates: { texts: candidates, vectors: candidateVectors },
      embedMs: performance.now() - t,
    };
  } finally {
    await embedder.close();
  }
}

/** A request id that says which sentence it is. */
export const benchRequestId = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/**
 * Stores the sentences as requests the model has already learned from (phase4_training_data, with embeddings),
 * ids from {@link benchRequestId}; returns the milliseconds it took.
 */
export async function storeUsedExamples(
  pool: Pool,
  modelId: string,
  texts: readonly string[],
  vectors: readonly Float32Array[],
): Promise<number> {
  const t = performance.now();
  await insertModel(pool, modelId);
  for (let start = 0; start < texts.length; start += 1000) {
    const end = Math.min(start + 1000, texts.length);
    const ids = Array.from({ length: end - start }, (_, k) => benchRequestId(start + k));
    await insertUsedRequests(pool, modelId, { ids, texts: texts.slice(start, end), vectors: vectors.slice(start, end) });
  }
  await analyzeUsedExamples(pool);
  return performance.now() - t;
}
