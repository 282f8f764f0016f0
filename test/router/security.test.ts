import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { loadConfig } from '../../src/config.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { writeWeights } from '../../src/db/routing-weights.js';
import { createLogger } from '../../src/log.js';
import { bearerCheck } from '../../src/router/app.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { catalogueVersions, versionEchoPredictor } from '../../bench/support/echo-model.js';
import { startStubbedRouter } from '../support/router.js';
import { routerFeatures } from '../../src/cli/router-features.js';

test('the bearer check accepts exactly the token, whatever the length of what is presented', () => {
  const check = bearerCheck('s3cret-token');
  assert.equal(check('Bearer s3cret-token'), true);
  for (const wrong of [
    undefined,
    '',
    'Bearer',
    'Bearer s3cret-tokem',
    'Bearer s3cret-token ',
    'Bearer s3cret',
    'bearer s3cret-token',
    's3cret-token',
    `Bearer ${'x'.repeat(5000)}`,
  ]) {
    assert.equal(check(wrong), false, String(wrong));
  }
});

describe('a router with a token, a password in its database URL and every log line captured', () => {
  const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
  const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
  // A token of another system a client sends by mistake: a secret too, never to be logged.
  const STRANGER = `tok-${randomBytes(12).toString('hex')}`;
  const ROLE = `learnloop_sec_${randomBytes(4).toString('hex')}`;
  const lines: string[] = [];
  let db: ThrowawayDatabase;
  let admin: pg.Client;
  // Unset when before() failed early: after() still runs and closes only what was opened.
  let pool: Pool | undefined;
  let router: RunningRouter | undefined;
  let databaseUrl: string;

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN, raw?: string) => {
    const headers: Record<string, string> = {};
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${router!.url}${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, text, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any> };
  };

  before(async () => {
    db = await throwawayDatabase();
    await catalogueVersions(db.pool, 'm', ['v1', 'v2']);
    await writeWeights(db.pool, 'm', { v1: 100 }, 'test');
    await createContext(db.pool, 'ctx-1', { template: 'Write it.' }, 'test');
    // The router signs in as a role of its own, with a password in its URL.
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${ROLE}`);
    await admin.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}`);
    const url = new URL(db.url);
    url.username = ROLE;
    url.password = PASSWORD;
    databaseUrl = url.toString();
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({ DATABASE_URL: databaseUrl, LEARNLOOP_API_TOKEN: TOKEN, ROUTER_MAX_BODY_KB: '4' });
    pool = createPool(databaseUrl, { max: 3 });
    router = await startRouter({
      config,
      pool,
      predictor: versionEchoPredictor,
      port: 0,
      // Everything the router can say, down to trace, goes to the captured log.
      logger: createLogger({ level: 'trace', destination }),
      ...routerFeatures({
        dispatchCiEvent: () => Promise.reject(new Error('no Temporal here')),
      }),
    });
  });
  after(async () => {
    await router?.close();
    await pool?.end();
    await admin.query(`DROP OWNED BY ${ROLE}`).catch(() => undefined);
    await admin.end();
    await db.drop();
    const postgres = new pg.Client({ connectionString: loadConfig().databaseUrl.replace(/\/[^/]+$/, '/postgres') });
    await postgres.connect();
    await postgres.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await postgres.end();
  });

  test('admin routes and every other route but health and the API description need the token', async () => {
    const put = { weights: { v1: 50, v2: 50 } };
    for (const token of [null, STRANGER, TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const res = await call('PUT', '/v1/models/m/routes', put, token);
      assert.equal(res.status, 401, `route change with ${token === null ? 'no token' : 'a wrong token'}`);
      assert.equal(res.json.error, 'authorization: missing or wrong bearer token');
    }
    for (const [method, path, body] of [
      ['GET', '/v1/models'],
      ['GET', '/v1/models/m/routes'],
      ['GET', '/metrics'],
      ['GET', '/v1/applications'],
      ['POST', '/v1/infer', { modelId: 'm', input: { text: 'x' } }],
      ['POST', '/v1/feedback', {}],
      ['POST', '/v1/applications/ticket-triage/predict', { instances: [{ input: {} }] }],
    ] as const) {
      assert.equal((await call(method, path, body, STRANGER)).status, 401, `${method} ${path}`);
    }
    assert.deepEqual((await call('GET', '/v1/models/m/routes')).json.weights, { v1: 100 }, 'nothing changed');
    assert.equal((await call('PUT', '/v1/models/m/routes', put)).status, 200, 'with the token the change is made');
    for (const path of ['/healthz', '/openapi.json', '/docs']) assert.equal((await call('GET', path, undefined, null)).status, 200, path);
  });

  test('without a token configured, route changes over HTTP are refused (403)', async () => {
    const open = await startStubbedRouter({ v1: 100 });
    try {
      const res = await fetch(`${open.router.url}/v1/models/m/routes`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ weights: { v1: 100 } }),
      });
      assert.equal(res.status, 403);
    } finally {
      await open.close();
    }
  });

  test('every route that reads a body refuses one over the limit with 413 and the reason, unread', async () => {
    const big = JSON.stringify({ modelId: 'm', input: { text: 'x'.repeat(5_000) } });
    for (const [method, path] of [
      ['POST', '/v1/infer'],
      ['POST', '/v1/feedback'],
      ['PUT', '/v1/models/m/routes'],
      ['POST', '/v1/applications/ticket-triage/predict'],
    ] as const) {
      const res = await call(method, path, undefined, TOKEN, big);
      assert.equal(res.status, 413, `${method} ${path}`);
      assert.equal(res.json.error, 'body: larger than the 4096 bytes this route accepts', `${method} ${path}`);
    }
    // CI reports are bigger: their own 10 MiB.
    const report = await fetch(`${router!.url}/v1/ci-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/xml' },
      body: `<testsuite>${' '.repeat(10 * 1024 * 1024)}</testsuite>`,
    });
    assert.equal(report.status, 413);
    assert.match(((await report.json()) as { error: string }).error, /^body: larger than the 10485760 bytes/);
    // Within the limit the same routes read their bodies.
    assert.equal((await call('POST', '/v1/infer', { modelId: 'm', input: { text: 'x'.repeat(1_000) } })).status, 200);
  });

  test('no log line carries the token, a presented token, or the database password', async () => {
    // Traffic of every kind, so that every kind of line is written: inference, feedback, a route change, bad bodies,
    // a refused CI event dispatch, unknown routes, and a database outage (the router's connections cut).
    const { json } = await call('POST', '/v1/infer', { modelId: 'm', input: { text: `Rotate the keys` }, userKey: 'u1' });
    assert.equal(
      (await call('POST', '/v1/feedback', { requestId: json.requestId, testPassRate: 1, implementationVariance: 0 })).status,
      202,
    );
    await call('POST', '/v1/infer', { modelId: 'm', input: { text: '' } });
    await call('POST', '/v1/infer', undefined, TOKEN, '{"modelId":');
    await call('GET', '/nowhere', undefined, STRANGER);
    await call('PUT', '/v1/models/m/routes', { weights: { v1: 100 } });
    const ci = await fetch(`${router!.url}/v1/ci-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        contextId: 'ctx-1',
        task: 't',
        build: { success: true, errors: [] },
        qualityGates: { passed: true, violations: [] },
      }),
    });
    assert.equal(ci.status, 503, 'stored, not dispatched: logged at warn');
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [ROLE]);
    await call('GET', '/v1/models');
    await call('POST', '/v1/infer', { modelId: 'm', input: { text: 'after the cut' } });
    await router!.writer.drain();

    assert.ok(lines.length >= 5, `the router logged (${lines.length} lines)`);
    assert.ok(lines.some((l) => l.includes('"msg":"inference"')) && lines.some((l) => l.includes('"msg":"routes changed"')));
    for (const secret of [TOKEN, STRANGER, PASSWORD]) {
      const leaked = lines.filter((l) => l.includes(secret));
      assert.deepEqual(leaked, [], 'a secret reached the log');
    }
    assert.ok(!lines.some((l) => l.includes(databaseUrl)), 'nor the database URL with its password');
  });
});
