import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { defined } from '../platform/defined.js';
import type { SentenceEmbedder } from './embedder.js';

export type TextEmbedder = Pick<SentenceEmbedder, 'embed' | 'dimension'>;

/**
 * The encoder's vectors for a fixed sentence: part of the cache key, so vectors cached with another model (or
 * another build of it) are never served.
 */
const PROBE = 'learnloop embedding cache probe: which encoder wrote these vectors?';

/**
 * Embeds `texts`, reusing vectors cached in `cacheDir` for exactly these texts and this encoder. Embedding a
 * few thousand sentences takes seconds on two cores; the reference build and the tests repeat the same ones.
 */
export async function embedWithCache(
  embedder: TextEmbedder,
  texts: readonly string[],
  cacheDir: string | undefined,
  logger?: Logger,
): Promise<Float32Array[]> {
  if (!cacheDir || texts.length === 0) return embedder.embed(texts);
  const probe = defined((await embedder.embed([PROBE]))[0], "the probe sentence's vector");
  const hash = createHash('sha256').update(new Uint8Array(probe.buffer, probe.byteOffset, probe.byteLength));
  for (const t of texts) hash.update(t).update('\0');
  const file = path.join(cacheDir, `embeddings-${hash.digest('hex')}.f32`);
  const dim = embedder.dimension;
  const cached = await readFile(file).catch(() => undefined);
  if (cached && cached.byteLength === texts.length * dim * 4) {
    const all = new Float32Array(cached.buffer.slice(cached.byteOffset, cached.byteOffset + cached.byteLength));
    logger?.debug({ file, texts: texts.length }, 'embeddings read from cache');
    return texts.map((_, i) => all.slice(i * dim, (i + 1) * dim));
  }
  const vectors = await embedder.embed(texts);
  const all = new Float32Array(texts.length * dim);
  vectors.forEach((v, i) => {
    all.set(v, i * dim);
  });
  // Written under a unique name and renamed, so a concurrent reader sees the whole file or none.
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(partial, new Uint8Array(all.buffer));
    await rename(partial, file);
    logger?.debug({ file, texts: texts.length }, 'embeddings cached');
  } catch (err) {
    // A cache that cannot be written costs time on the next build, never this one's result.
    logger?.warn({ file, reason: (err as Error).message }, 'embeddings not cached');
    await rm(partial, { force: true }).catch(() => undefined);
  }
  return vectors;
}
