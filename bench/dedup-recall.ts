/**
 * Recall of the pgvector HNSW search that retraining's dedup uses, against exact search, on 10k real examples:
 * requirement sentences from the reference generator (both phrasing families; the phrasebook makes many
 * near-duplicates) encoded by all-MiniLM-L6-v2 and stored in phase4_training_data of a throwaway database.
 *
 * Exact search (the baseline, same run) compares every pair in process. For each example the index is then asked,
 * through the very query dedup runs (usedNeighbours), for as many neighbours as exact search found at cosine ≥ 0.9
 * (plus the example itself). `pairRecall`: the share of those (example, neighbour ≥ 0.9) pairs the index returned.
 * `duplicateRecall`: of the examples exact search calls a duplicate (some other example ≥ 0.9), the share the
 * index also does — dedup's own decision. Last stdout line: the JSON result.
 *
 *   npx tsx bench/dedup-recall.ts [--examples 10000] [--ef-search 100 (what dedup uses)] [--batch 200]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config.js';
import { SentenceEmbedder } from '../src/models/embedder.js';
import { embeddingModelDir } from '../src/models/fetch-model.js';
import { embedWithCache } from '../src/reference/embedding-cache.js';
import { generateRequirements } from '../src/reference/generator.js';
import { DUPLICATE_SIMILARITY } from '../src/retraining/criteria.js';
import { DEDUP_EF_SEARCH, usedNeighbours, vectorLiteral } from '../src/retraining/embedding-store.js';
import { createTestDatabase } from '../test/support/db.js';

const argsSchema = z.object({
  examples: z.coerce.number().int().min(100).default(10_000),
  'ef-search': z.coerce.number().int().min(1).max(1000).default(DEDUP_EF_SEARCH),
  batch: z.coerce.number().int().min(1).default(200),
});

/** Distinct requirement texts, alternating between the two phrasing families. */
function sentences(count: number): string[] {
  const seen = new Set<string>();
  for (let seed = 1; seen.size < count; seed++) {
    const standard = generateRequirements({ seed, count, phrasing: 'standard' });
    const drifted = generateRequirements({ seed, count, phrasing: 'drifted' });
    for (let i = 0; i < count && seen.size < count; i++) seen.add(standard[i]!.text).add(drifted[i]!.text);
  }
  return [...seen].slice(0, count);
}

/** Every other example at cosine ≥ threshold, for each example, by comparing all pairs (vectors are unit length). */
function exactNeighbours(vectors: readonly Float32Array[], threshold: number): number[][] {
  const n = vectors.length;
  const dim = vectors[0]!.length;
  const flat = new Float32Array(n * dim);
  vectors.forEach((v, i) => flat.set(v, i * dim));
  const out: number[][] = vectors.map(() => []);
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let j = i + 1; j < n; j++) {
      const b = j * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += flat[a + k]! * flat[b + k]!;
      if (dot >= threshold) {
        out[i]!.push(j);
        out[j]!.push(i);
      }
    }
  }
  return out;
}

const { values } = parseArgs({ options: { examples: { type: 'string' }, 'ef-search': { type: 'string' }, batch: { type: 'string' } } });
const args = argsSchema.parse(values);
const config = loadConfig();
const embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
const db = await createTestDatabase();
try {
  const texts = sentences(args.examples);
  let t = performance.now();
  const vectors = await embedWithCache(embedder, texts, path.join(config.home, 'cache'));
  const embedMs = performance.now() - t;

  const ids = texts.map((_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
  await db.pool.query("INSERT INTO models (model_id) VALUES ('bench')");
  t = performance.now();
  for (let start = 0; start < texts.length; start += 1000) {
    const end = Math.min(start + 1000, texts.length);
    await db.pool.query(
      `WITH r AS (
         INSERT INTO inference_requests (request_id, model_id, version, input, output, latency_ms)
         SELECT id, 'bench', 'v1', jsonb_build_object('text', text), '{}'::jsonb, 1 FROM unnest($1::uuid[], $2::text[]) AS u (id, text)
         RETURNING request_id)
       INSERT INTO phase4_training_data (request_id, model_id, input, output, quality_score, embedding)
       SELECT u.id, 'bench', jsonb_build_object('text', u.text), '{}'::jsonb, 1, u.embedding
       FROM unnest($1::uuid[], $2::text[], $3::vector[]) AS u (id, text, embedding) JOIN r ON r.request_id = u.id`,
      [ids.slice(start, end), texts.slice(start, end), vectors.slice(start, end).map(vectorLiteral)],
    );
  }
  const loadMs = performance.now() - t;
  await db.pool.query('ANALYZE phase4_training_data');

  t = performance.now();
  const exact = exactNeighbours(vectors, DUPLICATE_SIMILARITY);
  const exactMs = performance.now() - t;

  // The planner must really take the HNSW index for dedup's query, or this would measure a sequential scan.
  const plan = await db.pool.query(
    `EXPLAIN SELECT p.request_id FROM phase4_training_data p WHERE p.model_id = 'bench' AND p.embedding IS NOT NULL
     ORDER BY p.embedding <=> $1::vector LIMIT 1`,
    [vectorLiteral(vectors[0]!)],
  );
  const usesHnswIndex = plan.rows.some((r: Record<string, string>) => Object.values(r)[0]!.includes('phase4_training_data_embedding'));

  const position = new Map(ids.map((id, i) => [id, i]));
  let exactPairs = 0;
  let foundPairs = 0;
  let exactDuplicates = 0;
  let foundDuplicates = 0;
  t = performance.now();
  for (let start = 0; start < texts.length; start += args.batch) {
    const idx = Array.from({ length: Math.min(args.batch, texts.length - start) }, (_, k) => start + k);
    const limit = Math.max(2, ...idx.map((i) => exact[i]!.length + 1));
    const found = await usedNeighbours(db.pool, 'bench', idx.map((i) => vectors[i]!), { limit, efSearch: args['ef-search'] });
    idx.forEach((i, k) => {
      const want = new Set(exact[i]);
      const got = found[k]!
        .slice(0, exact[i]!.length + 1)
        .map((n) => ({ j: position.get(n.requestId)!, similarity: n.similarity }))
        .filter((n) => n.j !== i && n.similarity >= DUPLICATE_SIMILARITY);
      exactPairs += want.size;
      foundPairs += got.filter((n) => want.has(n.j)).length;
      if (want.size > 0) {
        exactDuplicates++;
        if (got.length > 0) foundDuplicates++;
      }
    });
  }
  const indexMs = performance.now() - t;

  const degrees = exact.map((e) => e.length).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      examples: texts.length,
      threshold: DUPLICATE_SIMILARITY,
      efSearch: args['ef-search'],
      usesHnswIndex,
      exactPairs,
      foundPairs,
      pairRecall: exactPairs === 0 ? null : foundPairs / exactPairs,
      exactDuplicates,
      foundDuplicates,
      duplicateRecall: exactDuplicates === 0 ? null : foundDuplicates / exactDuplicates,
      neighboursPerExample: { median: degrees[degrees.length >> 1], p99: degrees[Math.floor(degrees.length * 0.99)], max: degrees.at(-1) },
      exactSearchMs: Math.round(exactMs),
      indexSearchMs: Math.round(indexMs),
      embedMs: Math.round(embedMs),
      loadMs: Math.round(loadMs),
    }),
  );
} finally {
  await embedder.close();
  await db.drop();
}
