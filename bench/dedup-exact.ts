/**
 * Exact deduplication without pgvector, two ways on the same data in the same run: cosine similarity computed in
 * PostgreSQL (plain SQL over the `real[]` columns: PostgreSQL has no vector arithmetic without an extension) against
 * cosine computed in process (src/retraining/embedding-store.ts `exactUsedNeighbours`: the model's used embeddings
 * read through a cursor in PostgreSQL's binary array format, compared in JS). Data: `--examples` reference
 * requirements stored as the examples a model already learned from, and `--candidates` other ones to deduplicate
 * (a normal run selects 100, an emergency 200), each way asked for every candidate's nearest used example.
 * Rounds alternate between the ways. Also timed: reading all used embeddings as binary arrays vs as text.
 * Last stdout line: the JSON result.
 *
 *   npx tsx bench/dedup-exact.ts [--examples 10000] [--candidates 100] [--rounds 3]
 */
import { defined } from '../src/platform/defined.js';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config.js';
import { decodeEmbedding, readUsedEmbeddingsRaw, sqlNearestUsed } from '../src/db/embeddings.js';
import { exactUsedNeighbours, type UsedNeighbour } from '../src/retraining/embedding-store.js';
import { throwawayDatabase } from './support/database.js';
import { benchSentences, storeUsedExamples } from './support/dedup-data.js';
import type { Pool } from '../src/db/pool.js';

const argsSchema = z.object({
  examples: z.coerce.number().int().min(100).default(10_000),
  candidates: z.coerce.number().int().min(1).default(100),
  rounds: z.coerce.number().int().min(1).default(3),
});

/** Cosine in SQL: each candidate against every used embedding of the model, nearest first. */
async function sqlNearest(pool: Pool, modelId: string, vectors: readonly Float32Array[]): Promise<UsedNeighbour[]> {
  const rows = await sqlNearestUsed(pool, modelId, vectors);
  return rows.map((r) => ({ requestId: r.request_id, similarity: r.similarity }));
}

const median = (xs: readonly number[]) => defined([...xs].sort((a, b) => a - b)[xs.length >> 1], 'median');
const round1 = (x: number) => Math.round(x * 10) / 10;

const { values } = parseArgs({ options: { examples: { type: 'string' }, candidates: { type: 'string' }, rounds: { type: 'string' } } });
const args = argsSchema.parse(values);
const config = loadConfig();
const data = await benchSentences(config, { used: args.examples, candidates: args.candidates });
const used = data.used.vectors;
const candidates = data.candidates.vectors;
// Exact only: no HNSW index is built even where the server has pgvector.
const db = await throwawayDatabase({ vectorIndex: 'off' });
try {
  const loadMs = await storeUsedExamples(db.pool, 'bench', data.used.texts, used);

  const inProcessMs: number[] = [];
  const sqlMs: number[] = [];
  let inProcess: UsedNeighbour[] = [];
  let sql: UsedNeighbour[] = [];
  for (let r = 0; r < args.rounds; r++) {
    let t = performance.now();
    inProcess = (await exactUsedNeighbours(db.pool, 'bench', candidates, { limit: 1 })).map((n) => defined(n[0], 'nearest used example'));
    inProcessMs.push(performance.now() - t);
    t = performance.now();
    sql = await sqlNearest(db.pool, 'bench', candidates);
    sqlMs.push(performance.now() - t);
  }
  const sameNearest = inProcess.filter((n, i) => n.requestId === defined(sql[i], `sql nearest ${i}`).requestId).length;
  const maxSimilarityDifference = Math.max(
    ...inProcess.map((n, i) => Math.abs(n.similarity - defined(sql[i], `sql nearest ${i}`).similarity)),
  );

  // What the in-process way spends on reading, binary arrays (its choice) against the arrays' text form.
  let t = performance.now();
  (await readUsedEmbeddingsRaw(db.pool, 'bench', 'binary')).forEach((e) => decodeEmbedding(e));
  const readBinaryMs = performance.now() - t;
  t = performance.now();
  (await readUsedEmbeddingsRaw(db.pool, 'bench', 'text')).forEach((e) => Float32Array.from(e.slice(1, -1).split(','), Number));
  const readTextMs = performance.now() - t;

  const inProcessMedian = median(inProcessMs);
  const sqlMedian = median(sqlMs);
  console.log(
    JSON.stringify({
      examples: args.examples,
      candidates: args.candidates,
      rounds: args.rounds,
      inProcessMs: { median: round1(inProcessMedian), runs: inProcessMs.map(round1) },
      sqlMs: { median: round1(sqlMedian), runs: sqlMs.map(round1) },
      inProcessSpeedup: round1(sqlMedian / inProcessMedian),
      faster: inProcessMedian < sqlMedian ? 'in-process' : 'sql',
      sameNearest: `${sameNearest}/${candidates.length}`,
      maxSimilarityDifference,
      readAllEmbeddingsMs: { binary: round1(readBinaryMs), text: round1(readTextMs) },
      embedMs: Math.round(data.embedMs),
      loadMs: Math.round(loadMs),
    }),
  );
} finally {
  await db.drop();
}
