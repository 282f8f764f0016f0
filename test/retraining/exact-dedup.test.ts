import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { detectDedupPath } from '../../src/db/vector-index.js';
import { readEmbeddings, storeEmbeddings } from '../../src/db/embeddings.js';
import { createLogger } from '../../src/log.js';
import { nearestUsedExamples, usedNeighbours, type UsedNeighbour } from '../../src/retraining/embedding-store.js';
import { markExamplesUsed } from '../../src/retraining/mark-used.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { dedupCandidates, dedupData, storeUsedExamples } from '../support/dedup-data.js';
import { seedExample, seedModel } from '../support/retraining-seed.js';

// The exact path against the real database, forced with LEARNLOOP_VECTOR_INDEX=off (`vectorIndex: 'off'`), so it
// runs the same where the server has pgvector. Deterministic pseudo-random 384-dimensional vectors, some of them
// planted near-duplicates, compared with brute force over the very same float32 values.
const DIM = 384;
let seed = 0x2545f491;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const randomVector = () => unit(Float32Array.from({ length: DIM }, () => random() - 0.5));
/** `base` moved a little: cosine about 0.9–0.99 with it. */
const near = (base: Float32Array, amount: number) => unit(base.map((x) => x + amount * (random() - 0.5) * 0.01));

function bruteForce(used: ReadonlyMap<string, Float32Array>, query: Float32Array, limit: number): UsedNeighbour[] {
  const all = [...used].map(([requestId, e]) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < DIM; k++) {
      dot += query[k]! * e[k]!;
      na += query[k]! * query[k]!;
      nb += e[k]! * e[k]!;
    }
    return { requestId, similarity: dot / Math.sqrt(na * nb) };
  });
  all.sort((a, b) => b.similarity - a.similarity || (a.requestId < b.requestId ? -1 : 1));
  return all.slice(0, limit);
}

let db: ThrowawayDatabase;
const used = new Map<string, Float32Array>();
const queries: Float32Array[] = [];

before(async () => {
  db = await throwawayDatabase();
  await seedModel(db.pool, 'm');
  await seedModel(db.pool, 'other');
  const ids: string[] = [];
  const embeddings = new Map<string, Float32Array>();
  const bases = Array.from({ length: 40 }, randomVector);
  for (let i = 0; i < 600; i++) {
    const id = await seedExample(db.pool, { passRate: 1 });
    const v = i < 200 ? near(bases[i % bases.length]!, 1 + (i % 5)) : randomVector();
    embeddings.set(id, v);
    ids.push(id);
    used.set(id, v);
  }
  // Another model's examples, one of them identical to a query: never this model's neighbours.
  const othersId = await seedExample(db.pool, { modelId: 'other', passRate: 1 });
  for (let q = 0; q < 30; q++) queries.push(q < 20 ? near(bases[q]!, 2) : randomVector());
  embeddings.set(othersId, queries[0]!);
  await storeEmbeddings(db.pool, embeddings);
  await markExamplesUsed(db.pool, { modelId: 'm', requestIds: ids });
  await markExamplesUsed(db.pool, { modelId: 'other', requestIds: [othersId] });
});
after(async () => {
  await db.drop();
});

test('embeddings are stored as plain real[] and read back bit for bit', async () => {
  const ids = [...used.keys()].slice(0, 50);
  const back = await readEmbeddings(db.pool, ids);
  assert.equal(back.size, ids.length);
  for (const id of ids) assert.deepEqual(back.get(id), used.get(id));
  const { rows } = await db.pool.query(
    "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attname = 'embedding' AND attrelid IN ('example_embeddings'::regclass, 'phase4_training_data'::regclass)",
  );
  assert.deepEqual(
    rows.map((r) => r.type),
    ['real[]', 'real[]'],
  );
});

test('with LEARNLOOP_VECTOR_INDEX=off the nearest used examples are exactly those brute force finds, nearest first', async () => {
  assert.deepEqual(await detectDedupPath(db.pool, 'off'), { path: 'exact', reason: 'LEARNLOOP_VECTOR_INDEX=off' });
  const nearest = await nearestUsedExamples(db.pool, 'm', queries, { vectorIndex: 'off' });
  const five = await usedNeighbours(db.pool, 'm', queries, { limit: 5, vectorIndex: 'off' });
  // Pages of 7 rows: the answer does not depend on where the cursor's pages break.
  const paged = await usedNeighbours(db.pool, 'm', queries, { limit: 5, path: 'exact', pageRows: 7 });
  queries.forEach((q, i) => {
    const want = bruteForce(used, q, 5);
    assert.equal(nearest[i]!.requestId, want[0]!.requestId, `query ${i}`);
    assert.ok(Math.abs(nearest[i]!.similarity - want[0]!.similarity) < 1e-12);
    assert.deepEqual(
      five[i]!.map((n) => n.requestId),
      want.map((n) => n.requestId),
      `query ${i}: five nearest, in order`,
    );
    assert.deepEqual(paged[i], five[i]);
  });
  assert.ok(
    nearest.slice(0, 20).every((n) => n!.similarity > 0.9),
    'the planted near-duplicates are found as such',
  );
  assert.ok(
    nearest.slice(20).every((n) => n!.similarity < 0.5),
    'random vectors have no near neighbour',
  );
});

test('the exact path ignores other models, examples without an embedding, and breaks ties by request id', async () => {
  const exact = { vectorIndex: 'off' } as const;
  assert.deepEqual(await nearestUsedExamples(db.pool, 'nobody', queries.slice(0, 3), exact), [null, null, null]);
  const [others] = await nearestUsedExamples(db.pool, 'other', [queries[0]!], exact);
  assert.ok(others!.similarity > 0.999999, "the other model's identical example is its own neighbour");
  const [mine] = await nearestUsedExamples(db.pool, 'm', [queries[0]!], exact);
  assert.notEqual(mine!.requestId, others!.requestId);

  // Two examples with the same embedding as a third: equally near, the smaller id first.
  await seedModel(db.pool, 'ties');
  const v = randomVector();
  const ids = [await seedExample(db.pool, { modelId: 'ties', passRate: 1 }), await seedExample(db.pool, { modelId: 'ties', passRate: 1 })];
  const unembedded = await seedExample(db.pool, { modelId: 'ties', passRate: 1 });
  await storeEmbeddings(db.pool, new Map(ids.map((id) => [id, v])));
  await markExamplesUsed(db.pool, { modelId: 'ties', requestIds: [...ids, unembedded] });
  const [pair] = await usedNeighbours(db.pool, 'ties', [v], { limit: 3, ...exact });
  assert.deepEqual(
    pair!.map((n) => n.requestId),
    [...ids].sort(),
    'ties by id; the example without an embedding is not a neighbour',
  );
});

test('the path is detected once per pool and logged once at info', async () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const other = await throwawayDatabase();
  try {
    for (let i = 0; i < 3; i++) await nearestUsedExamples(other.pool, 'm', queries.slice(0, 2), { vectorIndex: 'off', logger });
    const said = lines.filter((l) => 'dedupPath' in l);
    assert.equal(said.length, 1, 'one line for three searches');
    assert.equal(said[0]!.level, 30);
    assert.equal(said[0]!.dedupPath, 'exact');
    assert.equal(said[0]!.reason, 'LEARNLOOP_VECTOR_INDEX=off');
  } finally {
    await other.drop();
  }
});

test('on real requirements the forced exact dedup finds every nearest used example brute force finds, and drops near-duplicates', async () => {
  const data = await dedupData();
  await storeUsedExamples(db.pool, 'real', data);
  const { kept, nearest } = await dedupCandidates(db.pool, 'real', data, { vectorIndex: 'off' });
  const usedById = new Map(data.usedIds.map((id, i) => [id, data.usedVectors[i]!]));
  data.candidateVectors.forEach((v, i) => {
    const [want] = bruteForce(usedById, v, 1);
    assert.equal(nearest[i]!.requestId, want!.requestId, `candidate ${i}`);
    assert.ok(Math.abs(nearest[i]!.similarity - want!.similarity) < 1e-12);
  });
  const duplicatesOfUsed = nearest.filter((n) => n!.similarity >= 0.9).length;
  assert.ok(
    duplicatesOfUsed > 0 && kept.length > 0 && kept.length < data.candidateIds.length - duplicatesOfUsed,
    `some candidates duplicate used examples (${duplicatesOfUsed}), some each other, some are kept (${kept.length})`,
  );
});

test('on this server the path is what the extension allows: exact without pgvector, the HNSW index with it', async () => {
  const { rows } = await db.pool.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  const found = await detectDedupPath(db.pool);
  if (rows.length === 0) assert.deepEqual(found, { path: 'exact', reason: 'extension vector is not available on this server' });
  else assert.equal(found.path, process.env.LEARNLOOP_VECTOR_INDEX === 'off' ? 'exact' : 'hnsw', found.reason);
});
