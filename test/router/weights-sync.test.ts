import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeWeights, type Weights } from '../../src/db/routing-weights.js';
import { createLogger } from '../../src/log.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { WeightsSync } from '../../src/router/weights-sync.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { catalogueVersions } from '../../bench/support/echo-model.js';

let db: ThrowawayDatabase;
let table: RoutingTable;
let sync: WeightsSync;

before(async () => {
  db = await throwawayDatabase();
  await catalogueVersions(db.pool, 'm', ['v1', 'v2', 'v3']);
  await writeWeights(db.pool, 'm', { v1: 100 }, 'test');
  table = new RoutingTable();
  // The periodic re-read is pushed out of the test's reach: what arrives here arrived by NOTIFY.
  sync = new WeightsSync({ databaseUrl: db.url, table, logger: createLogger({ level: 'silent' }), resyncMs: 3_600_000, reconnectMs: 50 });
  await sync.start();
});
after(async () => {
  await sync.close();
  await db.drop();
});

async function until(expected: Weights, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && JSON.stringify(table.weights('m')) !== JSON.stringify(expected)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(table.weights('m'), expected);
}

test('the table starts from the database and follows a committed change', async () => {
  assert.deepEqual(table.weights('m'), { v1: 100 });
  await writeWeights(db.pool, 'm', { v1: 60, v2: 40 }, 'test');
  await until({ v1: 60, v2: 40 }, 5_000);
});

test('after a burst of changes the table holds the last one', async () => {
  for (let i = 1; i <= 20; i++) await writeWeights(db.pool, 'm', { v1: 100 - i, v3: i }, 'test');
  await until({ v1: 80, v3: 20 }, 5_000);
});

test('when the listening connection is cut, it reconnects and a later change still arrives', async () => {
  const listener = `SELECT pid, query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'learnloop-router-listen' AND state = 'idle'`;
  const [old] = (await db.pool.query<{ pid: number }>(listener, [db.name])).rows;
  assert.ok(old, 'the router holds a listening connection');
  await db.pool.query('SELECT pg_terminate_backend($1)', [old.pid]);
  assert.deepEqual(table.weights('m'), { v1: 80, v3: 20 }, 'the last known weights keep serving');
  // A new connection that has LISTENed and then re-read the weights (its last query) is ready for the next change.
  const deadline = Date.now() + 10_000;
  const reconnected = async () =>
    (await db.pool.query<{ pid: number; query: string }>(listener, [db.name])).rows.some(
      (r) => r.pid !== old.pid && r.query.includes('FROM routing_weights'),
    );
  while (!(await reconnected()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await writeWeights(db.pool, 'm', { v2: 100 }, 'test');
  await until({ v2: 100 }, 5_000);
});

test('a model whose routes are removed disappears from the table', async () => {
  await db.pool.query(`DELETE FROM routing_weights WHERE model_id = 'm'`);
  const deadline = Date.now() + 5_000;
  while (table.weights('m') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(table.weights('m'), undefined);
});
