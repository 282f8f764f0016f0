import { readHnswNeighbours, scanUsedEmbeddings } from '../db/embeddings.js';
import type { Pool } from '../db/pool.js';
import { dedupPath, forgetDedupPath, type DedupPathName, type VectorIndexSetting } from '../db/vector-index.js';
import type { Logger } from '../log.js';
import { defined } from '../platform/defined.js';

/**
 * Candidates the HNSW scan keeps (pgvector's default is 40). bench/dedup-recall.ts on 10k examples: at 100 the index
 * found all 18,978 pairs at cosine ≥ 0.9 and a 1,000-candidate dedup kept exactly the set exact search keeps (403);
 * earlier runs at 40 found 99.4–99.96% of the pairs. A run deduplicates at most a few hundred examples, so the
 * margin costs nothing that matters.
 */
export const DEDUP_EF_SEARCH = 100;

/**
 * Used embeddings the exact path reads per round trip: 1000 rows are about 3 MB, and comparing them with 200
 * candidates keeps the event loop busy for well under 0.1 s at a time.
 */
export const EXACT_PAGE_ROWS = 1000;

export interface UsedNeighbour {
  requestId: string;
  similarity: number;
}

export interface NeighbourOptions {
  /** Neighbours per vector, nearest first (default 1). */
  limit?: number;
  /** HNSW path: candidates the index scan keeps (default {@link DEDUP_EF_SEARCH}). */
  efSearch?: number;
  /** Forces a path; by default the one {@link dedupPath} detects once for this pool. */
  path?: DedupPathName;
  /** LEARNLOOP_VECTOR_INDEX (config.vectorIndex): `off` keeps the search exact even where pgvector is installed. */
  vectorIndex?: VectorIndexSetting;
  /** Told the path once per pool, at info. */
  logger?: Logger;
  /** Exact path: used embeddings read per round trip (default {@link EXACT_PAGE_ROWS}). */
  pageRows?: number;
}

/**
 * For each vector, the `limit` most cosine-similar examples the model has already been trained on, nearest first.
 * Through pgvector's HNSW index where the database has it (see src/db/vector-index.ts), otherwise exactly.
 */
export async function usedNeighbours(
  pool: Pool,
  modelId: string,
  vectors: readonly Float32Array[],
  options: NeighbourOptions = {},
): Promise<UsedNeighbour[][]> {
  if (vectors.length === 0) return [];
  const path = options.path ?? (await dedupPath(pool, { setting: options.vectorIndex, logger: options.logger })).path;
  if (path === 'exact') return exactUsedNeighbours(pool, modelId, vectors, options);
  try {
    return await hnswUsedNeighbours(pool, modelId, vectors, options);
  } catch (err) {
    // The extension went away under a running process (undefined type or function): exact is always right.
    const code = (err as { code?: string }).code;
    if (options.path !== undefined || (code !== '42704' && code !== '42883')) throw err;
    forgetDedupPath(pool);
    options.logger?.warn({ err: (err as Error).message }, 'pgvector search failed: deduplication compares exactly');
    return exactUsedNeighbours(pool, modelId, vectors, options);
  }
}

/** For each vector, the nearest example the model has already been trained on, or null when it has none. */
export async function nearestUsedExamples(
  pool: Pool,
  modelId: string,
  vectors: readonly Float32Array[],
  options: Omit<NeighbourOptions, 'limit'> = {},
): Promise<(UsedNeighbour | null)[]> {
  return (await usedNeighbours(pool, modelId, vectors, options)).map((n) => n[0] ?? null);
}

async function hnswUsedNeighbours(
  pool: Pool,
  modelId: string,
  vectors: readonly Float32Array[],
  options: NeighbourOptions,
): Promise<UsedNeighbour[][]> {
  const neighbours: UsedNeighbour[][] = vectors.map(() => []);
  const rows = await readHnswNeighbours(pool, {
    modelId,
    vectors,
    limit: options.limit ?? 1,
    efSearch: options.efSearch ?? DEDUP_EF_SEARCH,
  });
  for (const r of rows) defined(neighbours[r.ord - 1], `vector ${r.ord}`).push({ requestId: r.request_id, similarity: 1 - r.distance });
  return neighbours;
}

/**
 * Exact search, in process: reads the model's used embeddings once, a page at a time (a cursor, so one snapshot),
 * in PostgreSQL's binary array format, and compares each with every vector. Chosen by measurement over cosine in
 * SQL (PostgreSQL has no vector arithmetic without an extension): `npx tsx bench/dedup-exact.ts`, 100 candidates
 * against 10,000 used examples, 1.9 s in process vs 67 s in SQL, the same nearest example for all 100. Ties go to
 * the smaller request id.
 */
export async function exactUsedNeighbours(
  pool: Pool,
  modelId: string,
  vectors: readonly Float32Array[],
  options: Pick<NeighbourOptions, 'limit' | 'pageRows'> = {},
): Promise<UsedNeighbour[][]> {
  const limit = Math.max(1, Math.trunc(options.limit ?? 1));
  const pageRows = Math.max(1, Math.trunc(options.pageRows ?? EXACT_PAGE_ROWS));
  const count = vectors.length;
  if (count === 0) return [];
  const dim = defined(vectors[0], 'vector 0').length;
  const queries = new Float32Array(count * dim);
  const queryNorms = new Float64Array(count);
  vectors.forEach((v, q) => {
    if (v.length !== dim) throw new Error(`vector ${q} has ${v.length} dimensions, vector 0 has ${dim}`);
    queries.set(v, q * dim);
    queryNorms[q] = Math.sqrt(dot(v, 0, v));
  });
  const best: UsedNeighbour[][] = vectors.map(() => []);

  await scanUsedEmbeddings(pool, modelId, pageRows, (rows) => {
    for (const row of rows) {
      const e = row.embedding;
      if (e.length !== dim) throw new Error(`used example ${row.request_id} has ${e.length} dimensions, the vectors ${dim}`);
      const norm = Math.sqrt(dot(e, 0, e));
      for (const [q, list] of best.entries()) {
        const denominator = norm * defined(queryNorms[q], 'query norm');
        keepNearest(list, limit, row.request_id, denominator === 0 ? 0 : dot(queries, q * dim, e) / denominator);
      }
    }
  });
  return best;
}

/**
 * The dot product of `b` with the `b.length` values of `a` from `offset`, in double precision. Four running sums
 * instead of one: the additions no longer wait on each other, which measured about 1.7 times faster here.
 */
function dot(a: Float32Array, offset: number, b: Float32Array): number {
  const n = b.length;
  const whole = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k < whole; k += 4) {
    s0 += defined(a[offset + k], 'component') * defined(b[k], 'component');
    s1 += defined(a[offset + k + 1], 'component') * defined(b[k + 1], 'component');
    s2 += defined(a[offset + k + 2], 'component') * defined(b[k + 2], 'component');
    s3 += defined(a[offset + k + 3], 'component') * defined(b[k + 3], 'component');
  }
  for (; k < n; k++) s0 += defined(a[offset + k], 'component') * defined(b[k], 'component');
  return s0 + s1 + s2 + s3;
}

/** Inserts (id, similarity) into `list` (most similar first, ties by smaller id) when it is among the `limit` best. */
function keepNearest(list: UsedNeighbour[], limit: number, requestId: string, similarity: number): void {
  const before = (a: UsedNeighbour) => similarity > a.similarity || (similarity === a.similarity && requestId < a.requestId);
  if (list.length === limit && !before(defined(list[limit - 1], 'last kept neighbour'))) return;
  let i = list.length;
  while (i > 0 && before(defined(list[i - 1], 'kept neighbour'))) i--;
  list.splice(i, 0, { requestId, similarity });
  if (list.length > limit) list.pop();
}
