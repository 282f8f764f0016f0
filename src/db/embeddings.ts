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
    const { rows } = await c.query<{ ord: number; request_id: string; distance: number }>(hnswNeighboursQuery(q.modelId, q.vectors, q.limit));
    return rows;
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
