import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeWeights } from '../../src/db/routing-weights.js';
import { createLogger } from '../../src/log.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';

const TOKEN = 'test-token-5f1c9a';
let stack: ReferenceStack;
const logLines: string[] = [];

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN, raw?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${stack.router.url}${path}`, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, text, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any> };
}

const infer = (text: string, userKey?: string) => call('POST', '/v1/infer', { modelId: 'reference', input: { text }, userKey });

/** Writes the weights and applies them to this router at once (as PUT does), so the test needs no wait. */
async function setWeights(weights: Record<string, number>) {
  await writeWeights(stack.db.pool, 'reference', weights, 'test');
  stack.router.table.set('reference', weights);
}

describe('router serving the reference model', () => {
  before(async () => {
    const destination = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    stack = await startReferenceStack({ apiToken: TOKEN, logger: createLogger({ level: 'info', destination }) });
  });
  after(async () => {
    await stack.close();
  });

  test('an inference answers with the serving version and the model output', async () => {
    const { status, json } = await infer('Expose CRUD endpoints for the invoice resource');
    assert.equal(status, 200);
    assert.equal(json.modelId, 'reference');
    assert.equal(json.version, 'v1', 'the reference build routes everything to v1');
    assert.equal(json.output.label, 'rest_crud');
    assert.ok(json.output.confidence > 0 && json.output.confidence <= 1);
    assert.match(json.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(json.latencyMs > 0);
  });

  test('a user stays on one version across calls while the weights are unchanged', async () => {
    await setWeights({ v1: 50, v2: 50 });
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 20; u++) {
        const { json } = await infer('Cache order lookups for five minutes', `user-${u}`);
        (seen.get(`user-${u}`) ?? seen.set(`user-${u}`, new Set()).get(`user-${u}`)!).add(json.version);
      }
    }
    for (const [user, versions] of seen) assert.equal(versions.size, 1, `${user} saw ${[...versions].join(',')}`);
    const versions = new Set([...seen.values()].flatMap((s) => [...s]));
    assert.deepEqual([...versions].sort(), ['v1', 'v2'], 'twenty users are spread over both versions');
  });

  test('feedback is stored against the version that served the request, whether the request is recent or only in the database', async () => {
    await setWeights({ v1: 0, v2: 100 });
    const { json } = await infer('Limit each client to 100 report requests per minute', 'feedback-user');
    assert.equal(json.version, 'v2');
    // The routes change before the feedback arrives: the feedback still belongs to v2.
    await setWeights({ v1: 100, v2: 0 });
    const fb = await call('POST', '/v1/feedback', {
      requestId: json.requestId,
      testPassRate: 0.8,
      implementationVariance: 0.01,
      latencyMs: 12,
    });
    assert.equal(fb.status, 202);
    assert.equal(fb.json.version, 'v2');
    await stack.router.writer.drain();
    const { rows } = await stack.db.pool.query('SELECT version, test_pass_rate, latency_ms FROM feedback WHERE request_id = $1', [
      json.requestId,
    ]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].version, 'v2');
    assert.ok(Math.abs(rows[0].test_pass_rate - 0.8) < 1e-6);
    assert.equal(rows[0].latency_ms, 12);

    // A request this router does not remember (served by another router, or before a restart) is found in the table.
    const other = '6f1d3c1e-8a53-4d4a-9a51-3b0c1f2e9d11';
    await stack.db.pool.query(
      `INSERT INTO inference_requests (request_id, model_id, version, input, latency_ms) VALUES ($1, 'reference', 'v2', '{"text":"x"}', 1)`,
      [other],
    );
    const fromDb = await call('POST', '/v1/feedback', { requestId: other, testPassRate: 1, implementationVariance: 0 });
    assert.equal(fromDb.status, 202);
    assert.equal(fromDb.json.version, 'v2');
  });

  test('feedback for an unknown request is 404, and an unknown model is 404', async () => {
    const fb = await call('POST', '/v1/feedback', {
      requestId: '00000000-0000-4000-8000-000000000000',
      testPassRate: 1,
      implementationVariance: 0,
    });
    assert.equal(fb.status, 404);
    assert.match(fb.json.error, /^requestId: /);
    const model = await call('POST', '/v1/infer', { modelId: 'nope', input: { text: 'x' } });
    assert.equal(model.status, 404);
    assert.match(model.json.error, /^modelId: /);
  });

  test('bad bodies get 400 naming the field', async () => {
    const uuid = '00000000-0000-4000-8000-000000000000';
    const cases: [string, unknown, RegExp][] = [
      ['/v1/infer', { modelId: 'reference', input: {} }, /^input\.text: /],
      ['/v1/infer', { modelId: 'reference', input: { text: '' } }, /^input\.text: /],
      ['/v1/infer', { modelId: 'reference', input: { text: 'a\u0000b' } }, /^input\.text: must not contain NUL/],
      ['/v1/infer', { input: { text: 'x' } }, /^modelId: /],
      ['/v1/infer', { modelId: 'reference', input: { text: 'x' }, userKey: 'k'.repeat(300) }, /^userKey: /],
      ['/v1/infer', { modelId: 'reference', input: { text: 'x' }, extra: 1 }, /^extra: /],
      ['/v1/feedback', { requestId: 'nope', testPassRate: 1, implementationVariance: 0 }, /^requestId: /],
      ['/v1/feedback', { requestId: uuid, testPassRate: 1.5, implementationVariance: 0 }, /^testPassRate: /],
      ['/v1/feedback', { requestId: uuid, testPassRate: 1, implementationVariance: -1 }, /^implementationVariance: /],
      ['/v1/feedback', { requestId: uuid, testPassRate: 1, implementationVariance: 0, latencyMs: 'fast' }, /^latencyMs: /],
    ];
    for (const [path, body, field] of cases) {
      const { status, json } = await call('POST', path, body);
      assert.equal(status, 400, `${path} ${JSON.stringify(body)}`);
      assert.match(json.error, field, `${path} ${JSON.stringify(body)}`);
    }
    const notJson = await call('POST', '/v1/infer', undefined, TOKEN, '{"modelId":');
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error, /^body: /);
  });

  test('a route change that does not sum to 100 or names an unregistered version is refused with 400', async () => {
    const before = (await call('GET', '/v1/models/reference/routes')).json.weights;
    const cases: [unknown, RegExp][] = [
      [{ weights: { v1: 60, v2: 30 } }, /^weights: .*sum to 100/],
      [{ weights: { v1: 90, v9: 10 } }, /^weights: .*not registered/],
      [{ weights: { v1: 110, v2: -10 } }, /^weights\.v1: /],
      [{ weights: {} }, /^weights: /],
      [{}, /^weights: /],
    ];
    for (const [body, message] of cases) {
      const { status, json } = await call('PUT', '/v1/models/reference/routes', body);
      assert.equal(status, 400, JSON.stringify(body));
      assert.match(json.error, message, JSON.stringify(body));
    }
    assert.deepEqual((await call('GET', '/v1/models/reference/routes')).json.weights, before, 'nothing changed');
  });

  test('without the right token, reads, inference, metrics and admin writes are refused; health is open', async () => {
    assert.equal((await call('GET', '/v1/models', undefined, null)).status, 401);
    assert.equal((await call('GET', '/v1/models/reference/routes', undefined, 'wrong')).status, 401);
    assert.equal((await call('POST', '/v1/infer', { modelId: 'reference', input: { text: 'x' } }, 'wrong')).status, 401);
    assert.equal((await call('POST', '/v1/feedback', { requestId: 'x' }, null)).status, 401);
    assert.equal((await call('PUT', '/v1/models/reference/routes', { weights: { v1: 100 } }, null)).status, 401);
    assert.equal((await call('GET', '/metrics', undefined, null)).status, 401);
    const health = await call('GET', '/healthz', undefined, null);
    assert.equal(health.status, 200);
    assert.equal(health.json.ok, true);
  });

  test('an admin route change over HTTP is stored, applied and listed', async () => {
    const put = await call('PUT', '/v1/models/reference/routes', { weights: { v1: 75, v2: 25 } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json.weights, { v1: 75, v2: 25 });
    assert.deepEqual((await call('GET', '/v1/models/reference/routes')).json.weights, { v1: 75, v2: 25 });
    const { rows } = await stack.db.pool.query(
      `SELECT version, percent, changed_by FROM routing_weights WHERE model_id = 'reference' ORDER BY version`,
    );
    assert.deepEqual(rows, [
      { version: 'v1', percent: 75, changed_by: 'router-http' },
      { version: 'v2', percent: 25, changed_by: 'router-http' },
    ]);
    const models = (await call('GET', '/v1/models')).json.models as { modelId: string; versions: { version: string }[]; weights: object }[];
    const reference = models.find((m) => m.modelId === 'reference')!;
    assert.deepEqual(
      reference.versions.map((v) => v.version),
      ['v1', 'v2'],
    );
    assert.deepEqual(reference.weights, { v1: 75, v2: 25 });
  });

  test('metrics count requests and latency per model and version, and the buffer depth', async () => {
    const { text } = await call('GET', '/metrics');
    assert.match(text, /learnloop_inference_requests_total\{model="reference",version="v2",outcome="ok"\} [1-9]\d*/);
    assert.match(text, /learnloop_inference_latency_seconds_bucket\{le="[^"]+",model="reference",version="v1"\} [1-9]/);
    assert.match(text, /learnloop_feedback_total\{model="reference",version="v2"\} [1-9]/);
    assert.match(text, /learnloop_router_buffered_rows \d+/);
  });

  test('log lines carry the request id, and never the token', async () => {
    const { json } = await infer('Encrypt customer addresses at rest');
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === json.requestId);
    assert.ok(line, 'the inference is logged with its requestId');
    assert.equal(line.msg, 'inference');
    assert.equal(line.version, json.version);
    assert.ok(!logLines.some((l) => l.includes(TOKEN)));
  });
});
