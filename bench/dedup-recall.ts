/**
 * pgvector's HNSW index against exact search, like with like: the same rows in PostgreSQL (phase4_training_data,
 * `real[]` embeddings) searched by the two paths retraining's dedup has (src/retraining/embedding-store.ts), on
 * `--examples` reference requirements (both phrasing families; the phrasebook makes many near-duplicates) encoded
 * by all-MiniLM-L6-v2 and stored as a model's used examples. Exact is the reference.
 *
 * - `dedup`: `--candidates` other requirements deduplicated as retraining does (cosine ≥ 0.9 to a used example or
 *   to a candidate kept before), once with exact search and once through the index at `--ef-search`: both kept
 *   sets, how many candidates only one of them keeps, and that as a share of the exact set (must be ≤ 1%).
 * - `pairs`: every stored example asked for its neighbours among the others: `pairRecall`, the share of the exact
 *   (example, neighbour ≥ 0.9) pairs the index returned; `duplicateRecall`, of the examples exact search calls a
 *   duplicate of another, the share the index also does.
 *
 * Each timed HNSW statement's plan is read with EXPLAIN (the statement itself, with the first batch's parameters):
 * `planUsesIndex` says whether the planner took the index. Without pgvector on the server the HNSW half is skipped,
 * said on stderr and in the JSON. Last stdout line: the JSON result.
 *
 *   npx tsx bench/dedup-recall.ts [--examples 10000] [--candidates 1000] [--ef-search 100 (what dedup uses)] [--batch 200]
 */
import { defined } from '../src/platform/defined.js';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import type { Pool } from '../src/db/pool.js';
import { detectDedupPath, HNSW_INDEX, type DedupPathName } from '../src/db/vector-index.js';
import { DUPLICATE_SIMILARITY } from '../src/retraining/criteria.js';
import { deduplicate } from '../src/retraining/deduplicate.js';
import { explainHnswNeighbours } from '../src/db/embeddings.js';
import { DEDUP_EF_SEARCH, usedNeighbours, type UsedNeighbour } from '../src/retraining/embedding-store.js';
import { throwawayDatabase } from './support/database.js';
import { benchRequestId, benchSentences, storeUsedExamples } from './support/dedup-data.js';

const argsSchema = z.object({
  examples: z.coerce.number().int().min(100).default(10_000),
  candidates: z.coerce.number().int().min(1).default(1_000),
  'ef-search': z.coerce.number().int().min(1).max(1000).default(DEDUP_EF_SEARCH),
  batch: z.coerce.number().int().min(1).default(200),
});

/** Neighbours the exact pass keeps per stored example: far more than any example has at ≥ 0.9 (checked below). */
const EXACT_LIMIT = 256;

const { values } = parseArgs({
  options: { examples: { type: 'string' }, candidates: { type: 'string' }, 'ef-search': { type: 'string' }, batch: { type: 'string' } },
});
const args = argsSchema.parse(values);
const config = loadConfig();
const MODEL = 'bench';

/** Every vector's neighbours through one path, in batches of `--batch` (as dedup asks), with its time. */
async function search(
  pool: Pool,
  path: DedupPathName,
  vectors: readonly Float32Array[],
  limitOf: (batchStart: number, size: number) => number,
) {
  const out: UsedNeighbour[][] = [];
  const t = performance.now();
  for (let start = 0; start < vectors.length; start += args.batch) {
    const batch = vectors.slice(start, start + args.batch);
    out.push(...(await usedNeighbours(pool, MODEL, batch, { path, limit: limitOf(start, batch.length), efSearch: args['ef-search'] })));
  }
  return { neighbours: out, ms: Math.round(performance.now() - t) };
}

/** Whether the HNSW path's statement, with these parameters, is planned as a scan of the index. */
async function planUsesIndex(pool: Pool, vectors: readonly Float32Array[], limit: number): Promise<boolean> {
  const plan = await explainHnswNeighbours(pool, { modelId: MODEL, vectors, limit, efSearch: args['ef-search'] });
  return plan.includes(`Index Scan using ${HNSW_INDEX}`);
}

const keptBy = (candidateVectors: readonly Float32Array[], nearest: readonly UsedNeighbour[][]) =>
  deduplicate(
    candidateVectors.map((embedding, i) => ({ requestId: `candidate-${i}`, embedding })),
    nearest.map((n) => n[0] ?? null),
  ).kept;

const data = await benchSentences(config, { used: args.examples, candidates: args.candidates });
// Loaded without an index, then the start-up step builds it, as on a database that gains pgvector.
const db = await throwawayDatabase({ vectorIndex: 'off' });
try {
  const loadMs = await storeUsedExamples(db.pool, MODEL, data.used.texts, data.used.vectors);
  const t = performance.now();
  await migrate(db.url, { vectorIndex: 'auto' });
  const indexBuildMs = Math.round(performance.now() - t);
  const path = await detectDedupPath(db.pool, 'auto');
  const hnswSkipped = path.path === 'hnsw' ? undefined : `HNSW half skipped: ${path.reason}`;
  if (hnswSkipped) console.error(`dedup-recall: ${hnswSkipped} (scripts/install-pgvector.sh installs the accelerator)`);

  // Dedup of the candidates, retraining's own decision.
  const candidates = data.candidates.vectors;
  const exactDedup = await search(db.pool, 'exact', candidates, () => 1);
  const keptExact = keptBy(candidates, exactDedup.neighbours);
  let dedup: Record<string, unknown> = { keptExact: keptExact.length, exactMs: exactDedup.ms };
  if (!hnswSkipped) {
    const hnswDedup = await search(db.pool, 'hnsw', candidates, () => 1);
    const keptHnsw = keptBy(candidates, hnswDedup.neighbours);
    const inExact = new Set(keptExact);
    const inHnsw = new Set(keptHnsw);
    const inOneSetOnly = keptExact.filter((id) => !inHnsw.has(id)).length + keptHnsw.filter((id) => !inExact.has(id)).length;
    dedup = {
      keptExact: keptExact.length,
      keptHnsw: keptHnsw.length,
      inOneSetOnly,
      keptDifference: inOneSetOnly / keptExact.length,
      withinOnePercent: inOneSetOnly <= 0.01 * keptExact.length,
      exactMs: exactDedup.ms,
      hnswMs: hnswDedup.ms,
      planUsesIndex: await planUsesIndex(db.pool, candidates.slice(0, args.batch), 1),
    };
  }

  // Every stored example's neighbours among the others (itself excluded).
  const stored = data.used.vectors;
  const exactPairs = await search(db.pool, 'exact', stored, () => EXACT_LIMIT);
  const self = (i: number) => benchRequestId(i);
  const exactAbove = exactPairs.neighbours.map((n, i) => n.filter((x) => x.requestId !== self(i) && x.similarity >= DUPLICATE_SIMILARITY));
  const truncated = exactAbove.filter((n) => n.length >= EXACT_LIMIT - 1).length;
  const degrees = exactAbove.map((n) => n.length).sort((a, b) => a - b);
  const exactPairCount = degrees.reduce((a, b) => a + b, 0);
  const exactDuplicates = degrees.filter((d) => d > 0).length;
  let pairs: Record<string, unknown> = {
    exactPairs: exactPairCount,
    exactDuplicates,
    neighboursPerExample: { median: degrees[degrees.length >> 1], p99: degrees[Math.floor(degrees.length * 0.99)], max: degrees.at(-1) },
    truncated,
    exactMs: exactPairs.ms,
  };
  if (!hnswSkipped) {
    // The index is asked for as many neighbours as exact search found in the batch (plus the example itself).
    const limitOf = (start: number, size: number) => Math.max(2, ...exactAbove.slice(start, start + size).map((n) => n.length + 1));
    const hnswPairs = await search(db.pool, 'hnsw', stored, limitOf);
    let foundPairs = 0;
    let foundDuplicates = 0;
    hnswPairs.neighbours.forEach((n, i) => {
      const want = new Set(defined(exactAbove[i], `exact neighbours ${i}`).map((x) => x.requestId));
      const got = n.filter((x) => x.requestId !== self(i) && x.similarity >= DUPLICATE_SIMILARITY);
      foundPairs += got.filter((x) => want.has(x.requestId)).length;
      if (want.size > 0 && got.length > 0) foundDuplicates++;
    });
    pairs = {
      ...pairs,
      foundPairs,
      pairRecall: exactPairCount === 0 ? null : foundPairs / exactPairCount,
      foundDuplicates,
      duplicateRecall: exactDuplicates === 0 ? null : foundDuplicates / exactDuplicates,
      hnswMs: hnswPairs.ms,
      planUsesIndex: await planUsesIndex(db.pool, stored.slice(0, args.batch), limitOf(0, Math.min(args.batch, stored.length))),
    };
  }

  console.log(
    JSON.stringify({
      examples: stored.length,
      candidates: candidates.length,
      threshold: DUPLICATE_SIMILARITY,
      efSearch: args['ef-search'],
      dedupPath: path,
      ...(hnswSkipped ? { hnsw: hnswSkipped } : {}),
      dedup,
      pairs,
      indexBuildMs: hnswSkipped ? null : indexBuildMs,
      embedMs: Math.round(data.embedMs),
      loadMs: Math.round(loadMs),
    }),
  );
} finally {
  await db.drop();
}
