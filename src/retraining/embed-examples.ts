import { readEmbeddings, storeEmbeddings } from '../db/embeddings.js';
import { readInputTexts } from '../db/inference-requests.js';
import type { Pool } from '../db/pool.js';
import type { TextEmbedder } from '../models/embedding-cache.js';
import { UnknownExamplesError } from './unknown-examples.js';
import { defined } from '../platform/defined.js';

/** Inputs encoded per call to the embedder; progress is reported after each. */
const CHUNK = 32;

/**
 * The input embedding of each request, in the order given: read from example_embeddings where an earlier attempt
 * stored it, otherwise encoded from the request's input text and stored.
 */
export async function embedExamples(
  pool: Pool,
  embedder: TextEmbedder,
  requestIds: readonly string[],
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<Float32Array[]> {
  const cached = await readEmbeddings(pool, requestIds);
  const missing = requestIds.filter((id) => !cached.has(id));
  if (missing.length > 0) {
    const texts = await readInputTexts(pool, missing);
    const unknown = missing.filter((id) => typeof texts.get(id) !== 'string');
    if (unknown.length > 0) throw new UnknownExamplesError(unknown, 'have no input text to embed');
    for (let start = 0; start < missing.length; start += CHUNK) {
      const ids = missing.slice(start, start + CHUNK);
      const vectors = await embedder.embed(
        ids.map((id) => {
          // Checked above: every missing id has its text.
          const text = texts.get(id);
          if (typeof text !== 'string') throw new Error(`input text of ${id} is missing`);
          return text;
        }),
      );
      const fresh = new Map(ids.map((id, i) => [id, defined(vectors[i], `embedding of ${id}`)]));
      await storeEmbeddings(pool, fresh);
      for (const [id, v] of fresh) cached.set(id, v);
      onProgress(cached.size, requestIds.length);
    }
  }
  return requestIds.map((id) => defined(cached.get(id), `embedding of ${id}`));
}
