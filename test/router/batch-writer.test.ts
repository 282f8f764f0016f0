import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '../../src/log.js';
import { BatchWriter } from '../../src/router/batch-writer.js';
import { createTestDatabase } from '../support/db.js';

const row = (requestId: string) => ({
  requestId, modelId: 'm', version: 'v1', userKey: null, input: { text: 'x' }, output: { label: 'y' },
  latencyMs: 1, error: null, at: new Date(),
});

test('rows accepted during a database outage are kept, retried, and land exactly once', async () => {
  const db = await createTestDatabase();
  const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  const writer = new BatchWriter({ pool: db.pool, logger: createLogger({ level: 'silent' }), flushIntervalMs: 20 });
  try {
    // The outage: no new connections to the database, and the pool's open ones are cut.
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const id of ids) assert.equal(writer.offerRequest(row(id)), true);
    await writer.flush();
    assert.equal(writer.buffered, 50, 'nothing is dropped while the database is away');

    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS true`);
    await writer.drain(15_000);
    assert.equal(writer.buffered, 0);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM inference_requests WHERE request_id = ANY($1::uuid[])', [ids]);
    assert.equal(rows[0].n, 50);
  } finally {
    await writer.close();
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
    await db.drop();
  }
});

test('a full buffer refuses new rows instead of dropping old ones', async () => {
  const db = await createTestDatabase();
  const writer = new BatchWriter({ pool: db.pool, logger: createLogger({ level: 'silent' }), maxBuffered: 3, flushIntervalMs: 60_000 });
  try {
    for (let i = 0; i < 3; i++) assert.equal(writer.offerRequest(row(randomUUID())), true);
    assert.equal(writer.offerRequest(row(randomUUID())), false);
    await writer.drain();
    assert.equal(writer.offerRequest(row(randomUUID())), true, 'room again once written');
  } finally {
    await writer.close();
    await db.drop();
  }
});
