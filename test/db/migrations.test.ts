import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../support/db.js';
import { migrate } from '../../src/db/migrate.js';

const tables = async (pool: import('pg').Pool) =>
  (
    await pool.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1",
    )
  ).rows.map((r) => r.tablename);

test('migrations create every table on a fresh database, and down removes them all again', async () => {
  const db = await createTestDatabase({ migrate: false });
  try {
    await migrate(db.url);
    const created = await tables(db.pool);
    for (const t of ['model_versions', 'deployment_events', 'rollback_events', 'training_runs', 'phase4_training_data',
      'inference_requests', 'feedback', 'routing_weights']) {
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
  const db = await createTestDatabase();
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
