import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeWeights } from '../../src/db/routing-weights.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';

const TOKEN = 'test-token-123';
let stack: ReferenceStack;

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${stack.router.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const infer = (text: string, userKey?: string) => call('POST', '/v1/infer', { modelId: 'reference', input: { text }, userKey });

async function setWeights(weights: Record<string, number>) {
  await writeWeights(stack.db.pool, 'reference', weights, 'test');
  stack.router.table.set('reference', weights);
}

describe('router', () => {
  before(async () => {
    stack = await startReferenceStack({ apiToken: TOKEN });
  });
  after(async () => {
    await stack.close();
  });

  test('an inference answers with the serving version and the model output', async () => {
    const { status, json } = await infer('Expose CRUD endpoints for the invoice resource');
    assert.equal(status, 200);
    assert.equal(json.version, 'v1', 'the reference build routes everything to v1');
    assert.equal(json.output.label, 'rest_crud');
    assert.match(json.requestId, /^[0-9a-f-]{36}$/);
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
    for (const [user, versions] of seen) assert.equal(versions.size, 1, `${user} saw ${[...versions]}`);
    const versions = new Set([...seen.values()].flatMap((s) => [...s]));
    assert.deepEqual([...versions].sort(), ['v1', 'v2'], 'twenty users are spread over both versions');
  });

  test('the observed split is within two points of 10/90 over 5,000 requests', async () => {
    await setWeights({ v1: 90, v2: 10 });
    const counts: Record<string, number> = { v1: 0, v2: 0 };
    let next = 0;
    const worker = async () => {
      while (next < 5000) {
        next++;
        const { json } = await infer('Send an HTTP callback for every shipment event and retry failures');
        counts[json.version] = (counts[json.version] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const share = (100 * counts.v2!) / (counts.v1! + counts.v2!);
    assert.ok(Math.abs(share - 10) <= 2, `v2 served ${share.toFixed(2)}%`);
  });

  test('feedback is stored against the version that served the request', async () => {
    const { json } = await infer('Limit each client to 100 report requests per minute', 'feedback-user');
    const fb = await call('POST', '/v1/feedback', { requestId: json.requestId, testPassRate: 0.8, implementationVariance: 0.01 });
    assert.equal(fb.status, 202);
    await stack.router.writer.drain();
    const { rows } = await stack.db.pool.query('SELECT version, test_pass_rate FROM feedback WHERE request_id = $1', [json.requestId]);
    assert.equal(rows[0].version, json.version);
    assert.ok(Math.abs(rows[0].test_pass_rate - 0.8) < 1e-6);
  });

  test('feedback for an unknown request is 404', async () => {
    const { status, json } = await call('POST', '/v1/feedback', {
      requestId: '00000000-0000-4000-8000-000000000000', testPassRate: 1, implementationVariance: 0,
    });
    assert.equal(status, 404);
    assert.match(json.error, /requestId/);
  });

  test('bad bodies get 400 naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/v1/infer', { modelId: 'reference', input: {} }, /input\.text/],
      ['/v1/infer', { input: { text: 'x' } }, /modelId/],
      ['/v1/feedback', { requestId: 'nope', testPassRate: 1, implementationVariance: 0 }, /requestId/],
      ['/v1/feedback', { requestId: '00000000-0000-4000-8000-000000000000', testPassRate: 1.5, implementationVariance: 0 }, /testPassRate/],
    ];
    for (const [path, body, field] of cases) {
      const { status, json } = await call('POST', path, body);
      assert.equal(status, 400, `${path} ${JSON.stringify(body)}`);
      assert.match(json.error, field);
    }
    const put = await call('PUT', '/v1/models/reference/routes', { weights: { v1: 60, v2: 30 } });
    assert.equal(put.status, 400);
    assert.match(put.json.error, /sum to 100/);
  });

  test('without the token, reads, inference and admin writes are refused', async () => {
    assert.equal((await call('GET', '/v1/models', undefined, null)).status, 401);
    assert.equal((await call('POST', '/v1/infer', { modelId: 'reference', input: { text: 'x' } }, 'wrong')).status, 401);
    assert.equal((await call('PUT', '/v1/models/reference/routes', { weights: { v1: 100 } }, null)).status, 401);
    assert.equal((await call('GET', '/healthz', undefined, null)).status, 200);
  });

  test('an admin route change over HTTP is applied and listed', async () => {
    const put = await call('PUT', '/v1/models/reference/routes', { weights: { v1: 75, v2: 25 } });
    assert.equal(put.status, 200);
    const deadline = Date.now() + 2000;
    let weights: Record<string, number> = {};
    while (Date.now() < deadline) {
      weights = (await call('GET', '/v1/models/reference/routes')).json.weights;
      if (weights.v2 === 25) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(weights, { v1: 75, v2: 25 });
  });

  test('metrics count requests per model and version', async () => {
    const res = await fetch(`${stack.router.url}/metrics`);
    const text = await res.text();
    assert.match(text, /learnloop_inference_requests_total\{model="reference",version="v2",outcome="ok"\} \d+/);
    assert.match(text, /learnloop_inference_latency_seconds_bucket/);
  });
});
