import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../../src/db/migrate.js';
import { withTransaction } from '../../src/db/pool.js';
import { detectDedupPath, HNSW_INDEX } from '../../src/db/vector-index.js';
import { hnswNeighboursQuery, setHnswSearch } from '../../src/db/embeddings.js';
import { DEDUP_EF_SEARCH } from '../../src/retraining/embedding-store.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { dedupCandidates, dedupData, storeUsedExamples, type DedupData } from '../support/dedup-data.js';
import { preferIndex, vectorSkipReason } from './support.js';

// The data of the exact dedup test (test/retraining/exact-dedup.test.ts) through pgvector's HNSW index: exact
// dedup is the reference, and the index at dedup's ef_search must keep a set within 1% of it.
const skip = await vectorSkipReason();

let db: ThrowawayDatabase;
let data: DedupData;
before(async () => {
  if (skip) return;
  db = await throwawayDatabase({ migrate: false });
  await migrate(db.url, { vectorIndex: 'auto' });
  await preferIndex(db.url); // before db.pool opens its first session
  data = await dedupData();
  await storeUsedExamples(db.pool, 'm', data);
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (db as typeof db | undefined)?.drop();
});

test(`through the HNSW index at ef_search ${DEDUP_EF_SEARCH} dedup keeps the set exact dedup keeps, within 1%`, { skip }, async (t) => {
  const found = await detectDedupPath(db.pool);
  assert.deepEqual(found.path, 'hnsw', found.reason);
  assert.match(found.reason, new RegExp(`^pgvector \\d+\\.\\d+\\.\\d+ installed, HNSW index ${HNSW_INDEX}$`));

  // The statement the HNSW path runs really takes the index here (not a sequential scan that is exact anyway).
  const plan = await withTransaction(db.pool, async (c) => {
    await setHnswSearch(c, DEDUP_EF_SEARCH);
    const q = hnswNeighboursQuery('m', data.candidateVectors, 1);
    return (await c.query({ text: `EXPLAIN ${q.text}`, values: q.values })).rows
      .map((r: Record<string, string>) => Object.values(r)[0])
      .join('\n');
  });
  assert.match(plan, new RegExp(`Index Scan using ${HNSW_INDEX}`), plan);

  const exact = await dedupCandidates(db.pool, 'm', data, { path: 'exact' });
  const hnsw = await dedupCandidates(db.pool, 'm', data, { path: 'hnsw', efSearch: DEDUP_EF_SEARCH });
  const exactKept = new Set(exact.kept);
  const hnswKept = new Set(hnsw.kept);
  const differing = [...exact.kept.filter((id) => !hnswKept.has(id)), ...hnsw.kept.filter((id) => !exactKept.has(id))];
  t.diagnostic(
    `kept of ${data.candidateIds.length}: exact ${exact.kept.length}, hnsw ${hnsw.kept.length}, in one set only ${differing.length}`,
  );
  assert.ok(exact.kept.length > 10 && exact.kept.length < data.candidateIds.length, 'the data has duplicates to drop and examples to keep');
  assert.ok(differing.length <= 0.01 * exact.kept.length, `${differing.length} kept by one path only: ${differing.join(', ')}`);

  let same = 0;
  exact.nearest.forEach((e, i) => {
    const h = hnsw.nearest[i]!;
    if (h.requestId !== e!.requestId) return;
    same++;
    assert.ok(Math.abs(h.similarity - e!.similarity) < 1e-5, `candidate ${i}: ${h.similarity} vs ${e!.similarity}`);
  });
  assert.ok(same >= 0.99 * data.candidateIds.length, `the same nearest used example for ${same} of ${data.candidateIds.length}`);
});
