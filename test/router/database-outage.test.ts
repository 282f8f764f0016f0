import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startStubbedRouter, type StubbedRouter } from '../support/router.js';

// Which model answers plays no part in buffering, so a Predictor double serves (see versionEchoPredictor).
let stack: StubbedRouter;
let admin: pg.Client;
const allowConnections = (allow: boolean) =>
  admin.query(`ALTER DATABASE ${pg.escapeIdentifier(stack.db.name)} ALLOW_CONNECTIONS ${String(allow)}`);

before(async () => {
  stack = await startStubbedRouter({ v1: 50, v2: 50 }, { env: { ROUTER_MAX_BUFFERED_ROWS: '20', ROUTER_FLUSH_INTERVAL_MS: '20' } });
  admin = new pg.Client({ connectionString: stack.db.url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
});
after(async () => {
  await allowConnections(true);
  await admin.end();
  await stack.close();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${stack.router.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as Record<string, any> };
};
const infer = (userKey: string) => post('/v1/infer', { modelId: 'm', input: { text: 'Rotate the API keys nightly' }, userKey });

test('through a database outage the router keeps serving, holds inference rows up to its bound, then refuses with 503; feedback is refused with 503 + Retry-After, not held; all lands once the database is back', async () => {
  // The outage: no new connections, and every open one (pool, weights listener) is cut.
  await allowConnections(false);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [stack.db.name]);

  const accepted: { requestId: string; version: string }[] = [];
  for (let i = 0; i < 15; i++) {
    const { status, json } = await infer(`user-${i}`);
    assert.equal(status, 200, 'routing needs no database');
    accepted.push({ requestId: json.requestId, version: json.version });
  }
  const feedbackFor = (requestId: string) => post('/v1/feedback', { requestId, testPassRate: 0.5, implementationVariance: 0.01 });
  for (const { requestId } of accepted.slice(0, 3)) {
    const refused = await feedbackFor(requestId);
    assert.equal(refused.status, 503, 'feedback is acknowledged only once committed, and nothing can be committed now');
    assert.match(refused.retryAfter ?? '', /^[1-9]\d*$/, 'Retry-After in whole seconds');
    assert.match(refused.json.error, /database/);
  }
  const unknown = await post('/v1/feedback', { requestId: randomUUID(), testPassRate: 1, implementationVariance: 0 });
  assert.equal(unknown.status, 503, 'an id not in memory cannot be checked against the database now');
  assert.ok(unknown.retryAfter);

  for (let i = 15; i < 20; i++) {
    const { status, json } = await infer(`user-${i}`);
    assert.equal(status, 200);
    accepted.push({ requestId: json.requestId, version: json.version });
  }
  const refused = await infer('user-20');
  assert.equal(refused.status, 503, '20 rows held: the bound (no feedback among them)');
  assert.equal(refused.retryAfter, '1');
  assert.equal(stack.router.writer.buffered, 20);

  await allowConnections(true);
  const deadline = Date.now() + 20_000;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `buffered` is narrowed to 20 by the assertion above, but the writer drains it while the loop awaits
  while (stack.router.writer.buffered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(stack.router.writer.buffered, 0, 'the buffer drained after the outage');
  // The clients resend the feedback they were refused; now it is committed before the 202.
  for (const { requestId } of accepted.slice(0, 3)) assert.equal((await feedbackFor(requestId)).status, 202);

  const ids = accepted.map((a) => a.requestId);
  const stored = await stack.db.pool.query<{ request_id: string; version: string }>(
    'SELECT request_id, version FROM inference_requests WHERE request_id = ANY($1::uuid[])',
    [ids],
  );
  assert.deepEqual(
    new Map(stored.rows.map((r) => [r.request_id, r.version])),
    new Map(accepted.map((a) => [a.requestId, a.version])),
    'every accepted request stored once, with the version that served it',
  );
  const fb = await stack.db.pool.query<{ request_id: string; version: string }>(
    'SELECT request_id, version FROM feedback WHERE request_id = ANY($1::uuid[]) ORDER BY request_id',
    [ids],
  );
  assert.deepEqual(
    fb.rows.map((r) => [r.request_id, r.version]),
    accepted
      .slice(0, 3)
      .map((a) => [a.requestId, a.version])
      .sort(),
  );
  assert.equal((await infer('user-20')).status, 200, 'accepting again');
});
