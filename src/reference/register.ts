import path from 'node:path';
import type { Pool } from '../db/pool.js';
import { readWeights, writeWeights } from '../db/routing-weights.js';
import type { Logger } from '../log.js';
import type { SentenceEmbedder } from '../models/embedder.js';
import type { ModelRegistry } from '../models/registry.js';
import { buildReferenceModels } from './build.js';

export const REFERENCE_MODEL_ID = 'reference';

/**
 * Trains and registers the reference model's v1 and v2 unless both are registered already; v1 becomes the
 * `production` alias and, when the model has no routes yet, takes all traffic.
 */
export async function ensureReferenceModel(opts: {
  registry: ModelRegistry;
  pool: Pool;
  embedder: SentenceEmbedder;
  home: string;
  logger?: Logger;
  rebuild?: boolean;
  /** Embedding cache for the training data; defaults to `<home>/cache/embeddings`. */
  cacheDir?: string;
}): Promise<{ built: boolean; metrics: Record<string, unknown> }> {
  const { registry } = opts;
  const existing = await Promise.all(['v1', 'v2'].map((v) => registry.find(REFERENCE_MODEL_ID, v)));
  if (!opts.rebuild && existing.every((v) => v !== undefined)) {
    return { built: false, metrics: Object.fromEntries(existing.map((v) => [v.version, v.metrics])) };
  }
  const versions = await buildReferenceModels({
    embedder: opts.embedder,
    outDir: path.join(opts.home, 'reference'),
    cacheDir: opts.cacheDir ?? path.join(opts.home, 'cache', 'embeddings'),
    logger: opts.logger,
  });
  for (const v of versions) {
    await registry.register({ modelId: REFERENCE_MODEL_ID, version: v.version, file: v.file, metrics: { ...v.metrics } });
  }
  await registry.setAlias(REFERENCE_MODEL_ID, 'production', 'v1', { changedBy: 'reference build', reason: 'initial version' });
  if (!(await readWeights(opts.pool, REFERENCE_MODEL_ID)).has(REFERENCE_MODEL_ID)) {
    await writeWeights(opts.pool, REFERENCE_MODEL_ID, { v1: 100 }, 'reference build');
  }
  return { built: true, metrics: Object.fromEntries(versions.map((v) => [v.version, v.metrics])) };
}
