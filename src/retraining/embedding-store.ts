import pgvector from 'pgvector';
import type { Pool, PoolClient } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';

/**
 * Candidates the HNSW scan keeps (pgvector's default is 40). bench/dedup-recall.ts on 10k examples: 40 found
 * 99.4–99.96% of the ≥ 0.9 pairs across index builds, 100 found all of them, at about 1 ms a query; a run
 * deduplicates at most a few hundred examples, so the margin costs nothing that matters.
 */
export const DEDUP_EF_SEARCH = 100;

export interface UsedNeighbour {
  requestId: string;
  similarity: number;
}

/** pgvector's text form of a vector, for a `$n::vector` (or `::vector[]`) parameter. */
export const vectorLiteral = (v: Float32Array): string => pgvector.toSql(Array.from(v))!;

/** Cached embeddings of these requests' inputs (example_embeddings), by request id. */
export async function readEmbeddings(pool: Pool, requestIds: readonly string[]): Promise<Map<string, Float32Array>> {
  const { rows } = await pool.query<{ request_id: string; embedding: string }>(
    'SELECT request_id::text, embedding::text FROM example_embeddings WHERE request_id = ANY($1::uuid[])',
    [requestIds],
  );
  return new Map(rows.map((r) => [r.request_id, Float32Array.from(pgvector.fromSql(r.embedding) as number[])]));
}

/** Stores embeddings once per request: a retried write, or one racing another worker, changes nothing. */
export async function storeEmbeddings(pool: Pool, entries: ReadonlyMap<string, Float32Array>): Promise<void> {
  if (entries.size === 0) return;
  await pool.query(
    `INSERT INTO example_embeddings (request_id, embedding)
     SELECT * FROM unnest($1::uuid[], $2::vector[])
     ON CONFLICT (request_id) DO NOTHING`,
    [[...entries.keys()], [...entries.values()].map(vectorLiteral)],
  );
}

/**
 * For each vector, the `limit` most cosine-similar examples the model has already been trained on, nearest first,
 * found through the HNSW index on phase4_training_data. Iterative scanning keeps the index walking past other
 * models' rows, so a model with few examples among many still gets its neighbours; strict order, so they come
 * nearest first as far as the index can tell.
 */
export async function usedNeighbours(
  pool: Pool,
  modelId: string,
  vectors: readonly Float32Array[],
  options: { limit?: number; efSearch?: number } = {},
): Promise<UsedNeighbour[][]> {
  const neighbours: UsedNeighbour[][] = vectors.map(() => []);
  if (vectors.length === 0) return neighbours;
  return withTransaction(pool, async (c: PoolClient) => {
    await c.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
    await c.query(`SET LOCAL hnsw.ef_search = ${Math.trunc(options.efSearch ?? DEDUP_EF_SEARCH)}`);
    const { rows } = await c.query<{ ord: number; request_id: string; distance: number }>(
      `SELECT q.ord::int AS ord, n.request_id::text AS request_id, n.distance
       FROM unnest($2::vector[]) WITH ORDINALITY AS q (v, ord)
       CROSS JOIN LATERAL (
         SELECT p.request_id, p.embedding <=> q.v AS distance
         FROM phase4_training_data p
         WHERE p.model_id = $1 AND p.embedding IS NOT NULL
         ORDER BY p.embedding <=> q.v
         LIMIT $3
       ) n
       ORDER BY q.ord, n.distance`,
      [modelId, vectors.map(vectorLiteral), options.limit ?? 1],
    );
    for (const r of rows) neighbours[r.ord - 1]!.push({ requestId: r.request_id, similarity: 1 - r.distance });
    return neighbours;
  });
}

/** For each vector, the nearest example the model has already been trained on, or null when it has none. */
export async function nearestUsedExamples(pool: Pool, modelId: string, vectors: readonly Float32Array[]): Promise<(UsedNeighbour | null)[]> {
  return (await usedNeighbours(pool, modelId, vectors)).map((n) => n[0] ?? null);
}
