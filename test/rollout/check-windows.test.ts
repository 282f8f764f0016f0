import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { readCheckWindows } from '../../src/db/version-metrics.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

let db: ThrowawayDatabase;
before(async () => {
  db = await throwawayDatabase();
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (db as typeof db | undefined)?.drop();
});

/** One request with its feedback, `minutesAgo` before the database's now. */
async function row(version: string, minutesAgo: number, passRate: number): Promise<void> {
  const id = randomUUID();
  const at = `now() - make_interval(mins => ${minutesAgo})`;
  await db.pool.query(
    `INSERT INTO inference_requests (request_id, model_id, version, input, latency_ms, at) VALUES ($1, 'm', $2, '{}', 10, ${at})`,
    [id, version],
  );
  await db.pool.query(
    `INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance, at) VALUES ($1, 'm', $2, $3, 0, ${at})`,
    [id, version, passRate],
  );
}

const ago = async (minutes: number): Promise<string> =>
  (await db.pool.query<{ t: string }>(`SELECT (now() - make_interval(mins => $1))::text AS t`, [minutes])).rows[0]!.t;

test('a check reads the last hour of feedback, never before the rollout began, and the rows since the last check apart', async () => {
  await row('v2', 100, 0); // before the rollout's first weight change
  await row('v2', 70, 0); // in the rollout, but more than an hour ago
  await row('v2', 50, 1);
  await row('v2', 20, 0);
  await row('v2', 3, 1); // since the previous check
  await row('v1', 50, 1);
  await row('v1', 2, 1);

  const since = await ago(5);
  const read = await readCheckWindows(db.pool, {
    modelId: 'm',
    versions: ['v2', 'v1'],
    since,
    windowMs: 3_600_000,
    notBefore: await ago(90),
  });
  assert.deepEqual(
    read.window.map((m) => [m.version, m.samples, m.passRate]),
    [
      ['v2', 3, 2 / 3],
      ['v1', 2, 1],
    ],
  );
  assert.deepEqual(
    read.sinceLastCheck.map((m) => [m.version, m.samples]),
    [
      ['v2', 1],
      ['v1', 1],
    ],
  );

  // The next check starts where this one ended: nothing in between, nothing twice.
  const next = await readCheckWindows(db.pool, {
    modelId: 'm',
    versions: ['v2', 'v1'],
    since: read.until,
    windowMs: 3_600_000,
    notBefore: await ago(90),
  });
  assert.deepEqual(
    next.sinceLastCheck.map((m) => m.samples),
    [0, 0],
  );
  assert.equal(next.window[0]!.samples, 3);

  // A rollout that began 30 minutes ago: its first hour holds only its own rows.
  const young = await readCheckWindows(db.pool, { modelId: 'm', versions: ['v2'], since, windowMs: 3_600_000, notBefore: await ago(30) });
  assert.deepEqual(
    young.window.map((m) => [m.samples, m.passRate]),
    [[2, 0.5]],
  );

  // A shorter window, as configured.
  const tenMinutes = await readCheckWindows(db.pool, {
    modelId: 'm',
    versions: ['v2'],
    since,
    windowMs: 600_000,
    notBefore: await ago(90),
  });
  assert.equal(tenMinutes.window[0]!.samples, 1);
});
