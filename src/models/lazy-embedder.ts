import type { Logger } from '../log.js';
import type { TextEmbedder } from './embedding-cache.js';
import { SentenceEmbedder } from './embedder.js';
import { embeddingModelDir } from './fetch-model.js';

/**
 * The sentence encoder, loaded on first use (a worker that never embeds never pays for it) and once per process;
 * `given` lets tests pass their own. A failed load is forgotten, so a later attempt may find the model files fetched.
 */
export function lazyEmbedder(home: string, logger: Logger, given?: TextEmbedder): () => Promise<TextEmbedder> {
  let embedder: Promise<TextEmbedder> | undefined = given ? Promise.resolve(given) : undefined;
  return () => {
    embedder ??= SentenceEmbedder.load(embeddingModelDir(home), { logger }).catch((err: unknown) => {
      embedder = undefined;
      throw err;
    });
    return embedder;
  };
}
