import type { Pool, PoolClient } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { dedupPath, forgetDedupPath, INDEXED_EMBEDDING, type DedupPathName, type VectorIndexSetting } from '../db/vector-index.js';
import type { Logger } from '../log.js';

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

/** PostgreSQL's text form of an array, for a `$n::real[]` parameter (or one element of a `text[]` cast per row). */
export const embeddingLiteral = (v: Float32Array): string => `{${Array.from(v, String).join(',')}}`;

/** pgvector's text form of a vector, for a `…::vector` cast (only where the extension is installed). */
export const vectorLiteral = (v: Float32Array): string => `[${Array.from(v, String).join(',')}]`;

const FLOAT4_OID = 700;

/**
 * A `real[]` in PostgreSQL's binary array format (`array_send(embedding)`): 4 bytes a value instead of its decimal
 * text, and no parsing of numbers. Layout: ndim, has-nulls flag, element type, then (size, lower bound) per
 * dimension, then (length, big-endian float4) per element.
 */
export function decodeEmbedding(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ndim = view.getInt32(0);
  if (ndim === 0) return new Float32Array(0);
  if (ndim !== 1 || view.getUint32(8) !== FLOAT4_OID) throw new Error(`not a one-dimensional real[] (ndim ${ndim}, element type ${view.getUint32(8)})`);
  const n = view.getInt32(12);
  const out = new Float32Array(n);
  for (let i = 0, at = 20; i < n; i++, at += 8) {
    if (view.getInt32(at) !== 4) throw new Error(`element ${i} of the embedding is NULL`);
    out[i] = view.getFloat32(at + 4);
  }
  return out;
}

/** Cached embeddings of these requests' inputs (example_embeddings), by request id. */
export async function readEmbeddings(pool: Pool, requestIds: readonly string[]): Promise<Map<string, Float32Array>> {
  const { rows } = await pool.query<{ request_id: string; embedding: Buffer }>(
    'SELECT request_id::text, array_send(embedding) AS embedding FROM example_embeddings WHERE request_id = ANY($1::uuid[])',
    [requestIds],
  );
  return new Map(rows.map((r) => [r.request_id, decodeEmbedding(r.embedding)]));
}

/** Stores embeddings once per request: a retried write, or one racing another worker, changes nothing. */
export async function storeEmbeddings(pool: Pool, entries: ReadonlyMap<string, Float32Array>): Promise<void> {
  if (entries.size === 0) return;
  await pool.query(
    `INSERT INTO example_embeddings (request_id, embedding)
     SELECT u.id, u.embedding::real[] FROM unnest($1::uuid[], $2::text[]) AS u (id, embedding)
     ON CONFLICT (request_id) DO NOTHING`,
    [[...entries.keys()], [...entries.values()].map(embeddingLiteral)],
  );
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

/**
 * The HNSW path's statement: nearest first by the indexed expression, so the planner can take the index.
 * Exported so bench/dedup-recall.ts can EXPLAIN the very statement it times.
 */
export function hnswNeighboursQuery(modelId: string, vectors: readonly Float32Array[], limit: number): { text: string; values: unknown[] } {
  return {
    text: `SELECT q.ord::int AS ord, n.request_id::text AS request_id, n.distance
       FROM unnest($2::text[]) WITH ORDINALITY AS q (v, ord)
       CROSS JOIN LATERAL (
         SELECT p.request_id, p.${INDEXED_EMBEDDING} <=> q.v::vector(384) AS distance
         FROM phase4_training_data p
         WHERE p.model_id = $1 AND p.embedding IS NOT NULL
         ORDER BY p.${INDEXED_EMBEDDING} <=> q.v::vector(384)
         LIMIT $3
       ) n
       ORDER BY q.ord, n.distance`,
    values: [modelId, vectors.map(vectorLiteral), limit],
  };
}

/**
 * The index's settings for one transaction: iterative scanning keeps the index walking past other models' rows,
 * so a model with few examples among many still gets its neighbours; strict order, so they come nearest first as
 * far as the index can tell.
 */
export async function setHnswSearch(c: PoolClient, efSearch: number = DEDUP_EF_SEARCH): Promise<void> {
  await c.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
  await c.query(`SET LOCAL hnsw.ef_search = ${Math.trunc(efSearch)}`);
}

async function hnswUsedNeighbours(pool: Pool, modelId: string, vectors: readonly Float32Array[], options: NeighbourOptions): Promise<UsedNeighbour[][]> {
  const neighbours: UsedNeighbour[][] = vectors.map(() => []);
  return withTransaction(pool, async (c) => {
    await setHnswSearch(c, options.efSearch);
    const { rows } = await c.query<{ ord: number; request_id: string; distance: number }>(hnswNeighboursQuery(modelId, vectors, options.limit ?? 1));
    for (const r of rows) neighbours[r.ord - 1]!.push({ requestId: r.request_id, similarity: 1 - r.distance });
    return neighbours;
  });
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
  const dim = vectors[0]!.length;
  const queries = new Float32Array(count * dim);
  const queryNorms = new Float64Array(count);
  vectors.forEach((v, q) => {
    if (v.length !== dim) throw new Error(`vector ${q} has ${v.length} dimensions, vector 0 has ${dim}`);
    queries.set(v, q * dim);
    queryNorms[q] = Math.sqrt(dot(v, 0, v));
  });
  const best: UsedNeighbour[][] = vectors.map(() => []);

  await withTransaction(pool, async (c) => {
    await c.query(
      `DECLARE used_embeddings NO SCROLL CURSOR FOR
       SELECT request_id::text AS request_id, array_send(embedding) AS embedding
       FROM phase4_training_data WHERE model_id = $1 AND embedding IS NOT NULL`,
      [modelId],
    );
    for (;;) {
      const { rows } = await c.query<{ request_id: string; embedding: Buffer }>(`FETCH ${pageRows} FROM used_embeddings`);
      for (const row of rows) {
        const e = decodeEmbedding(row.embedding);
        if (e.length !== dim) throw new Error(`used example ${row.request_id} has ${e.length} dimensions, the vectors ${dim}`);
        const norm = Math.sqrt(dot(e, 0, e));
        for (let q = 0; q < count; q++) {
          const denominator = norm * queryNorms[q]!;
          keepNearest(best[q]!, limit, row.request_id, denominator === 0 ? 0 : dot(queries, q * dim, e) / denominator);
        }
      }
      if (rows.length < pageRows) break;
    }
    await c.query('CLOSE used_embeddings');
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
    s0 += a[offset + k]! * b[k]!;
    s1 += a[offset + k + 1]! * b[k + 1]!;
    s2 += a[offset + k + 2]! * b[k + 2]!;
    s3 += a[offset + k + 3]! * b[k + 3]!;
  }
  for (; k < n; k++) s0 += a[offset + k]! * b[k]!;
  return s0 + s1 + s2 + s3;
}

/** Inserts (id, similarity) into `list` (most similar first, ties by smaller id) when it is among the `limit` best. */
function keepNearest(list: UsedNeighbour[], limit: number, requestId: string, similarity: number): void {
  const before = (a: UsedNeighbour) => similarity > a.similarity || (similarity === a.similarity && requestId < a.requestId);
  if (list.length === limit && !before(list[limit - 1]!)) return;
  let i = list.length;
  while (i > 0 && before(list[i - 1]!)) i--;
  list.splice(i, 0, { requestId, similarity });
  if (list.length > limit) list.pop();
}
