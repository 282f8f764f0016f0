import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { throwawayDatabase } from '../../bench/support/database.js';
import { migrate, migrationsDir } from '../../src/db/migrate.js';
import { detectDedupPath, HNSW_INDEX } from '../../src/db/vector-index.js';

const tables = async (pool: import('pg').Pool) =>
  (
    await pool.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1",
    )
  ).rows.map((r) => r.tablename);

test('migrations create every table on a fresh database, and down removes them all again', async () => {
  const db = await throwawayDatabase({ migrate: false });
  try {
    await migrate(db.url);
    const created = await tables(db.pool);
    for (const t of [
      'model_versions',
      'deployment_events',
      'rollback_events',
      'training_runs',
      'phase4_training_data',
      'inference_requests',
      'feedback',
      'routing_weights',
    ]) {
      assert.ok(created.includes(t), `table ${t} exists after up`);
    }
    assert.deepEqual(await migrate(db.url), [], 'a second up applies nothing');
    await migrate(db.url, { direction: 'down' });
    assert.deepEqual(await tables(db.pool), []);
    await migrate(db.url);
    assert.ok((await tables(db.pool)).length >= created.length, 'up again after down works');
  } finally {
    await db.drop();
  }
});

test('routing weights of a model must sum to 100 at commit', async () => {
  const db = await throwawayDatabase();
  try {
    await db.pool.query("INSERT INTO models (model_id) VALUES ('m')");
    for (const v of ['v1', 'v2']) {
      await db.pool.query(
        "INSERT INTO model_versions (model_id, version, artifact_uri, sha256) VALUES ('m', $1, 'file:///x', repeat('a', 64))",
        [v],
      );
    }
    await assert.rejects(
      db.pool.query("INSERT INTO routing_weights (model_id, version, percent, changed_by) VALUES ('m', 'v1', 90, 't')"),
      /sum to 90, not 100/,
    );
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("INSERT INTO routing_weights (model_id, version, percent, changed_by) VALUES ('m', 'v1', 90, 't')");
      await client.query("INSERT INTO routing_weights (model_id, version, percent, changed_by) VALUES ('m', 'v2', 10, 't')");
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query('SELECT sum(percent)::int AS total FROM routing_weights');
    assert.equal(rows[0].total, 100);
  } finally {
    await db.drop();
  }
});

const embeddingTypes = async (pool: import('pg').Pool) =>
  (
    await pool.query<{ table: string; type: string }>(
      `SELECT attrelid::regclass::text AS table, format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attname = 'embedding' AND NOT attisdropped AND attrelid IN ('example_embeddings'::regclass, 'phase4_training_data'::regclass)
       ORDER BY 1`,
    )
  ).rows;

const vectorState = async (pool: import('pg').Pool) => {
  const { rows } = await pool.query<{ available: boolean; installed: boolean; index: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed,
            to_regclass($1) IS NOT NULL AS index`,
    [HNSW_INDEX],
  );
  return rows[0]!;
};

test('embeddings are plain real[] columns of 384 values, with or without pgvector on the server', async () => {
  const db = await throwawayDatabase();
  try {
    assert.deepEqual(await embeddingTypes(db.pool), [
      { table: 'example_embeddings', type: 'real[]' },
      { table: 'phase4_training_data', type: 'real[]' },
    ]);
    await db.pool.query("INSERT INTO models (model_id) VALUES ('m')");
    await db.pool.query(
      "INSERT INTO inference_requests (request_id, model_id, version, input, latency_ms) VALUES ('00000000-0000-4000-8000-000000000001', 'm', 'v1', '{}', 1)",
    );
    const store = (embedding: string) =>
      db.pool.query("INSERT INTO example_embeddings (request_id, embedding) VALUES ('00000000-0000-4000-8000-000000000001', $1::real[])", [
        embedding,
      ]);
    const violates = { code: '23514' };
    await assert.rejects(store(`{${Array(383).fill(0.1).join(',')}}`), violates, '383 values');
    await assert.rejects(store(`{${Array(384).fill(0.1).join(',')},NULL}`), violates, 'a NULL value');
    await assert.rejects(store(`{{${Array(192).fill(0.1).join(',')}},{${Array(192).fill(0.1).join(',')}}}`), violates, 'two dimensions');
    await store(`{${Array(384).fill(0.1).join(',')}}`);
  } finally {
    await db.drop();
  }
});

test("the start-up step adds pgvector's HNSW index only where the server has the extension and LEARNLOOP_VECTOR_INDEX allows it; up and down run either way", async () => {
  const db = await throwawayDatabase({ migrate: false });
  try {
    await migrate(db.url, { vectorIndex: 'off' });
    const off = await vectorState(db.pool);
    assert.equal(off.installed, false, 'LEARNLOOP_VECTOR_INDEX=off creates no extension');
    assert.equal(off.index, false);
    assert.equal((await detectDedupPath(db.pool)).path, 'exact');

    await migrate(db.url, { vectorIndex: 'auto' });
    const auto = await vectorState(db.pool);
    assert.equal(auto.installed, auto.available, 'auto creates the extension exactly where the server has it');
    assert.equal(auto.index, auto.available);
    const found = await detectDedupPath(db.pool);
    if (auto.available) assert.deepEqual(found.path, 'hnsw', found.reason);
    else assert.deepEqual(found, { path: 'exact', reason: 'extension vector is not available on this server' });

    await migrate(db.url, { direction: 'down', vectorIndex: 'auto' });
    assert.deepEqual(await tables(db.pool), []);
    await migrate(db.url, { vectorIndex: 'auto' });
    assert.equal((await vectorState(db.pool)).index, auto.available, 'up again: the index is back where the extension is');
    assert.equal((await embeddingTypes(db.pool)).length, 2);
  } finally {
    await db.drop();
  }
});

test('several processes starting at once migrate one database without failing', async () => {
  const db = await throwawayDatabase({ migrate: false });
  try {
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => migrate(db.url, { vectorIndex: 'auto' })));
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql'));
    const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    assert.equal(applied.length, files.length, 'each migration applied once, by one of them');
    const state = await vectorState(db.pool);
    assert.equal(state.index, state.available);
  } finally {
    await db.drop();
  }
});
