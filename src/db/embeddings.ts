import { withTransaction, type Db, type Pool, type PoolClient } from './pool.js';
import { INDEXED_EMBEDDING } from './vector-index.js';

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
  if (ndim !== 1 || view.getUint32(8) !== FLOAT4_OID)
    throw new Error(`not a one-dimensional real[] (ndim ${ndim}, element type ${view.getUint32(8)})`);
  const n = view.getInt32(12);
  const out = new Float32Array(n);
  for (let i = 0, at = 20; i < n; i++, at += 8) {
    if (view.getInt32(at) !== 4) throw new Error(`element ${i} of the embedding is NULL`);
    out[i] = view.getFloat32(at + 4);
  }
  return out;
}

/** Cached embeddings of these requests' inputs (example_embeddings), by request id. */
export async function readEmbeddings(db: Db, requestIds: readonly string[]): Promise<Map<string, Float32Array>> {
  const { rows } = await db.query<{ request_id: string; embedding: Buffer }>(
    'SELECT request_id::text, array_send(embedding) AS embedding FROM example_embeddings WHERE request_id = ANY($1::uuid[])',
    [requestIds],
  );
  return new Map(rows.map((r) => [r.request_id, decodeEmbedding(r.embedding)]));
}

/** Stores embeddings once per request: a retried write, or one racing another worker, changes nothing. */
export async function storeEmbeddings(db: Db, entries: ReadonlyMap<string, Float32Array>): Promise<void> {
  if (entries.size === 0) return;
  await db.query(
    `INSERT INTO example_embeddings (request_id, embedding)
     SELECT u.id, u.embedding::real[] FROM unnest($1::uuid[], $2::text[]) AS u (id, embedding)
     ON CONFLICT (request_id) DO NOTHING`,
    [[...entries.keys()], [...entries.values()].map(embeddingLiteral)],
  );
}

/**
 * The HNSW path's statement: for each vector, the model's `limit` used examples nearest by the indexed expression
 * (so the planner can take the index), nearest first. Exported so bench/dedup-recall.ts can EXPLAIN the very
 * statement it times.
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
 * far as the index can tell. `efSearch`: the candidates the scan keeps.
 */
export async function setHnswSearch(c: PoolClient, efSearch: number): Promise<void> {
  await c.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
  await c.query(`SET LOCAL hnsw.ef_search = ${Math.trunc(efSearch)}`);
}

/** {@link hnswNeighboursQuery} under {@link setHnswSearch}'s settings; `ord` numbers the vectors from 1. */
export async function readHnswNeighbours(
  pool: Pool,
  q: { modelId: string; vectors: readonly Float32Array[]; limit: number; efSearch: number },
): Promise<{ ord: number; request_id: string; distance: number }[]> {
  return withTransaction(pool, async (c) => {
    await setHnswSearch(c, q.efSearch);
    const { rows } = await c.query<{ ord: number; request_id: string; distance: number }>(
      hnswNeighboursQuery(q.modelId, q.vectors, q.limit),
    );
    return rows;
  });
}

/** The plan PostgreSQL makes for {@link hnswNeighboursQuery} under {@link setHnswSearch}'s settings, as EXPLAIN's text. */
export async function explainHnswNeighbours(
  pool: Pool,
  q: { modelId: string; vectors: readonly Float32Array[]; limit: number; efSearch: number },
): Promise<string> {
  return withTransaction(pool, async (c) => {
    await setHnswSearch(c, q.efSearch);
    const query = hnswNeighboursQuery(q.modelId, q.vectors, q.limit);
    return (await c.query({ text: `EXPLAIN ${query.text}`, values: query.values })).rows
      .map((r: Record<string, string>) => Object.values(r)[0])
      .join('\n');
  });
}

/**
 * Reads a model's used embeddings once, `pageRows` at a time (a cursor, so one snapshot), in PostgreSQL's binary
 * array format, handing each page to `onPage` before the next is read.
 */
export async function scanUsedEmbeddings(
  pool: Pool,
  modelId: string,
  pageRows: number,
  onPage: (rows: readonly { request_id: string; embedding: Float32Array }[]) => void,
): Promise<void> {
  await withTransaction(pool, async (c) => {
    await c.query(
      `DECLARE used_embeddings NO SCROLL CURSOR FOR
       SELECT request_id::text AS request_id, array_send(embedding) AS embedding
       FROM phase4_training_data WHERE model_id = $1 AND embedding IS NOT NULL`,
      [modelId],
    );
    for (;;) {
      const { rows } = await c.query<{ request_id: string; embedding: Buffer }>(`FETCH ${pageRows} FROM used_embeddings`);
      onPage(rows.map((r) => ({ request_id: r.request_id, embedding: decodeEmbedding(r.embedding) })));
      if (rows.length < pageRows) break;
    }
    await c.query('CLOSE used_embeddings');
  });
}

/**
 * For each vector, the model's used example nearest by cosine computed in SQL (no extension), nearest first by
 * similarity, ties by request id. Not on deduplication's path: bench/dedup-exact.ts times it against the in-process
 * search that was chosen over it.
 */
export async function sqlNearestUsed(
  db: Db,
  modelId: string,
  vectors: readonly Float32Array[],
): Promise<{ ord: number; request_id: string; similarity: number }[]> {
  const { rows } = await db.query<{ ord: number; request_id: string; similarity: number }>(
    `SELECT q.ord::int AS ord, n.request_id::text AS request_id, n.similarity
     FROM unnest($2::text[]) WITH ORDINALITY AS u (t, ord)
     CROSS JOIN LATERAL (SELECT u.t::real[] AS v, u.ord) q
     CROSS JOIN LATERAL (
       SELECT p.request_id, s.similarity
       FROM phase4_training_data p
       CROSS JOIN LATERAL (
         SELECT sum(a::float8 * b) / sqrt(sum(a::float8 * a) * sum(b::float8 * b)) AS similarity
         FROM unnest(p.embedding, q.v) AS x (a, b)
       ) s
       WHERE p.model_id = $1 AND p.embedding IS NOT NULL
       ORDER BY s.similarity DESC, p.request_id
       LIMIT 1
     ) n
     ORDER BY q.ord`,
    [modelId, vectors.map(embeddingLiteral)],
  );
  return rows;
}

/** A model's used embeddings in one read, undecoded: `binary` as array_send's bytes, otherwise as the arrays' text. */
export async function readUsedEmbeddingsRaw(db: Db, modelId: string, form: 'binary'): Promise<Buffer[]>;
export async function readUsedEmbeddingsRaw(db: Db, modelId: string, form: 'text'): Promise<string[]>;
export async function readUsedEmbeddingsRaw(db: Db, modelId: string, form: 'binary' | 'text'): Promise<(Buffer | string)[]> {
  const { rows } = await db.query<{ e: Buffer | string }>(
    form === 'binary'
      ? 'SELECT array_send(embedding) AS e FROM phase4_training_data WHERE model_id = $1'
      : 'SELECT embedding::text AS e FROM phase4_training_data WHERE model_id = $1',
    [modelId],
  );
  return rows.map((r) => r.e);
}

/**
 * Stores texts as requests (version v1, empty output) a model has already learned from, with their embeddings, in
 * one statement; the model must exist. For benchmarks, which need many used examples fast.
 */
export async function insertUsedRequests(
  db: Db,
  modelId: string,
  rows: { ids: readonly string[]; texts: readonly string[]; vectors: readonly Float32Array[] },
): Promise<void> {
  await db.query(
    `WITH r AS (
       INSERT INTO inference_requests (request_id, model_id, version, input, output, latency_ms)
       SELECT id, $4, 'v1', jsonb_build_object('text', text), '{}'::jsonb, 1 FROM unnest($1::uuid[], $2::text[]) AS u (id, text)
       RETURNING request_id)
     INSERT INTO phase4_training_data (request_id, model_id, input, output, quality_score, embedding)
     SELECT u.id, $4, jsonb_build_object('text', u.text), '{}'::jsonb, 1, u.embedding::real[]
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u (id, text, embedding) JOIN r ON r.request_id = u.id`,
    [rows.ids, rows.texts, rows.vectors.map(embeddingLiteral), modelId],
  );
}

/** Refreshes the planner's statistics of phase4_training_data, so a bulk load is planned for as it is. */
export async function analyzeUsedExamples(db: Db): Promise<void> {
  await db.query('ANALYZE phase4_training_data');
}
