import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { createPool, withTransaction } from '../../src/db/pool.js';
import { detectDedupPath, HNSW_INDEX } from '../../src/db/vector-index.js';
import { createLogger } from '../../src/log.js';
import { hnswNeighboursQuery, readEmbeddings, setHnswSearch } from '../../src/db/embeddings.js';
import { DEDUP_EF_SEARCH, nearestUsedExamples } from '../../src/retraining/embedding-store.js';
import { throwawayDatabase } from '../../bench/support/database.js';
import { dedupData, storeUsedExamples } from '../support/dedup-data.js';
import { preferIndex, vectorSkipReason } from './support.js';

// How a database reaches pgvector's index in place: one created where the server had no extension, and one
// migrated when embeddings were still vector(384) columns. Plus the start-up step's manners: refused CREATE
// EXTENSION, processes starting at once, LEARNLOOP_VECTOR_INDEX=off.
const skip = await vectorSkipReason();

type Pool = pg.Pool;

const columnTypes = async (pool: Pool) =>
  (
    await pool.query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attname = 'embedding' AND NOT attisdropped
       AND attrelid IN ('example_embeddings'::regclass, 'phase4_training_data'::regclass) ORDER BY attrelid::regclass::text`,
    )
  ).rows.map((r) => r.type);

/** Every stored embedding, in one string: unchanged means unchanged bit for bit (real[]'s text form round-trips). */
const embeddingsDigest = async (pool: Pool) =>
  (
    await pool.query<{ d: string }>(
      `SELECT md5(string_agg(request_id::text || array_send(embedding::real[])::text, ',' ORDER BY request_id)) ||
              md5((SELECT string_agg(request_id::text || array_send(embedding::real[])::text, ',' ORDER BY request_id) FROM example_embeddings)) AS d
       FROM phase4_training_data`,
    )
  ).rows[0]!.d;

const state = async (pool: Pool) =>
  (
    await pool.query<{ installed: boolean; index: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed,
              (SELECT pg_get_indexdef(to_regclass($1))) AS index`,
      [HNSW_INDEX],
    )
  ).rows[0]!;

/**
 * The plan of the HNSW path's statement with sorting disabled: whether the statement can take the index at all
 * (at this test's 2,000 rows the planner would rightly prefer reading the rows and sorting them; see preferIndex).
 */
async function planOf(pool: Pool, vectors: Float32Array[]): Promise<string> {
  return withTransaction(pool, async (c) => {
    await setHnswSearch(c, DEDUP_EF_SEARCH);
    await c.query('SET LOCAL enable_sort = off');
    const q = hnswNeighboursQuery('m', vectors, 1);
    return (await c.query({ text: `EXPLAIN ${q.text}`, values: q.values })).rows
      .map((r: Record<string, string>) => Object.values(r)[0])
      .join('\n');
  });
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

test('a database migrated where the server had no pgvector moves to the HNSW index in place once it has it', { skip }, async () => {
  const db = await throwawayDatabase({ migrate: false });
  try {
    // As on a server without the extension: nothing of pgvector in the database, deduplication exact.
    await migrate(db.url, { vectorIndex: 'off' });
    const data = await dedupData();
    await storeUsedExamples(db.pool, 'm', data);
    assert.deepEqual(await state(db.pool), { installed: false, index: null });
    const before = await detectDedupPath(db.pool);
    assert.equal(before.path, 'exact');
    assert.match(before.reason, /is available on this server but not created in this database/);
    const types = await columnTypes(db.pool);
    const digest = await embeddingsDigest(db.pool);
    const exact = await nearestUsedExamples(db.pool, 'm', data.candidateVectors);
    assert.equal(exact.length, data.candidateVectors.length);

    // The next start: the start-up step creates the extension and builds the index over what is stored.
    await migrate(db.url, { vectorIndex: 'auto' });
    const after = await state(db.pool);
    assert.equal(after.installed, true);
    assert.match(after.index ?? '', /USING hnsw \(\(\(embedding\)::vector\(384\)\) vector_cosine_ops\)/);
    assert.deepEqual(await columnTypes(db.pool), types, 'the columns stay real[]');
    assert.deepEqual(types, ['real[]', 'real[]']);
    assert.equal(await embeddingsDigest(db.pool), digest, 'every stored embedding unchanged');
    assert.equal((await detectDedupPath(db.pool)).path, 'hnsw');
    assert.match(await planOf(db.pool, data.candidateVectors), new RegExp(`Index Scan using ${HNSW_INDEX}`));

    // The pool that started exact keeps its path (correct, only slower); a fresh start takes the index.
    assert.deepEqual(await nearestUsedExamples(db.pool, 'm', data.candidateVectors), exact);
    await preferIndex(db.url);
    const restarted = createPool(db.url, { max: 2 });
    try {
      const { lines, logger } = capturingLogger();
      const viaIndex = await nearestUsedExamples(restarted, 'm', data.candidateVectors, { logger });
      assert.deepEqual(
        lines.filter((l) => 'dedupPath' in l).map((l) => l.dedupPath),
        ['hnsw'],
      );
      const same = viaIndex.filter((n, i) => n!.requestId === exact[i]!.requestId).length;
      assert.ok(same >= 0.99 * exact.length, `the same nearest used example for ${same} of ${exact.length}`);

      // LEARNLOOP_VECTOR_INDEX=off: exact, index or not.
      const off = capturingLogger();
      const forced = await nearestUsedExamples(restarted, 'm', data.candidateVectors, { vectorIndex: 'off', logger: off.logger });
      assert.deepEqual(
        off.lines.filter((l) => 'dedupPath' in l).map((l) => [l.dedupPath, l.reason]),
        [['exact', 'LEARNLOOP_VECTOR_INDEX=off']],
      );
      assert.deepEqual(forced, exact);
    } finally {
      await restarted.end();
    }
  } finally {
    await db.drop();
  }
});

test(
  'a database migrated when embeddings were vector(384) columns is converted to real[] in place, keeping every value',
  { skip },
  async () => {
    const db = await throwawayDatabase({ migrate: false });
    try {
      await migrate(db.url, { vectorIndex: 'auto' });
      const data = await dedupData();
      await storeUsedExamples(db.pool, 'm', data);
      const stored = await readEmbeddings(db.pool, data.usedIds);
      // Back to what the migrations before pgvector became optional left: vector(384) columns, the index on the
      // column itself, no checks, and the converting migration not yet applied.
      await db.pool.query(`
      DROP INDEX ${HNSW_INDEX};
      DROP INDEX phase4_training_data_model;
      ALTER TABLE example_embeddings DROP CONSTRAINT example_embeddings_embedding_384,
        ALTER COLUMN embedding TYPE vector(384) USING embedding::vector(384);
      ALTER TABLE phase4_training_data DROP CONSTRAINT phase4_training_data_embedding_384,
        ALTER COLUMN embedding TYPE vector(384) USING embedding::vector(384);
      CREATE INDEX ${HNSW_INDEX} ON phase4_training_data USING hnsw (embedding vector_cosine_ops);
      DELETE FROM pgmigrations WHERE name = '1764700000000_embeddings-without-pgvector';
    `);
      assert.deepEqual(await columnTypes(db.pool), ['vector(384)', 'vector(384)']);
      const digest = await embeddingsDigest(db.pool);

      assert.deepEqual(await migrate(db.url, { vectorIndex: 'auto' }), ['1764700000000_embeddings-without-pgvector']);
      assert.deepEqual(await columnTypes(db.pool), ['real[]', 'real[]']);
      assert.equal(await embeddingsDigest(db.pool), digest, 'every value kept');
      assert.deepEqual(await readEmbeddings(db.pool, data.usedIds), stored);
      const { rows } = await db.pool.query("SELECT conname FROM pg_constraint WHERE conname LIKE '%_embedding_384' ORDER BY 1");
      assert.deepEqual(
        rows.map((r) => r.conname),
        ['example_embeddings_embedding_384', 'phase4_training_data_embedding_384'],
      );
      assert.match(
        (await state(db.pool)).index ?? '',
        /\(\(embedding\)::vector\(384\)\) vector_cosine_ops/,
        'the index is the start-up step’s, over the expression',
      );
      assert.equal((await detectDedupPath(db.pool)).path, 'hnsw');
      assert.match(await planOf(db.pool, data.candidateVectors.slice(0, 5)), new RegExp(`Index Scan using ${HNSW_INDEX}`));

      // Down and up again with the extension installed.
      await migrate(db.url, { direction: 'down' });
      await migrate(db.url, { vectorIndex: 'auto' });
      assert.equal((await detectDedupPath(db.pool)).path, 'hnsw');
    } finally {
      await db.drop();
    }
  },
);

test('CREATE EXTENSION refused: the start-up step leaves deduplication exact and the start succeeds', { skip }, async () => {
  const role = `learnloop_test_role_${randomBytes(4).toString('hex')}`;
  const db = await throwawayDatabase({ migrate: false });
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    // A role that may create tables in the database's public schema, but not extensions in the database.
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(db.name)} TO ${role}`);
    await admin.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    const { lines, logger } = capturingLogger();
    await migrate(url.toString(), { vectorIndex: 'auto', logger });
    assert.deepEqual(await state(db.pool), { installed: false, index: null });
    const said = lines.find((l) => /CREATE EXTENSION vector was refused/.test(String(l.msg)));
    assert.ok(said, JSON.stringify(lines));
    assert.equal(said.level, 30, 'at info: an operator chose this, nothing is broken');
    assert.equal((await detectDedupPath(db.pool)).path, 'exact');
  } finally {
    await admin.end();
    await db.drop();
    const server = new URL(loadConfig().databaseUrl);
    server.pathname = '/postgres';
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    await client.query(`DROP ROLE IF EXISTS ${role}`).finally(() => client.end());
  }
});

test('processes starting at once on a server with pgvector: one extension, one index, none fails', { skip }, async () => {
  const db = await throwawayDatabase({ migrate: false });
  try {
    await ensureDatabase(db.url);
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => migrate(db.url, { vectorIndex: 'auto' })));
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    assert.equal((await state(db.pool)).installed, true);
    assert.equal((await detectDedupPath(db.pool)).path, 'hnsw');
  } finally {
    await db.drop();
  }
});
