import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { startStubbedRouter, type StubbedRouter } from '../support/router.js';

// What the Schemathesis run (fuzz.test.ts) found, each pinned down: before the fix, each of these was a 500, an
// answer the document did not declare, an acknowledged row the database then refused, or an invalid request accepted.
const TOKEN = 'findings-token';
let stack: StubbedRouter;
before(async () => {
  stack = await startStubbedRouter({ v1: 100 }, { env: { LEARNLOOP_API_TOKEN: TOKEN }, dispatchCiEvent: async () => {} });
  await createContext(stack.db.pool, 'ctx-1', { template: 'Write it.' }, 'test');
});
after(async () => {
  await stack.close();
});

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${stack.router.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    allow: res.headers.get('allow'),
    json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any>,
  };
};
const inference = async () => (await call('POST', '/v1/infer', { modelId: 'm', input: { text: 'x' } })).json.requestId as string;

test('feedback numbers beyond what a PostgreSQL real holds are refused (they were acknowledged, then the database refused the row)', async () => {
  const requestId = await inference();
  for (const [field, value] of [
    ['latencyMs', 1.1e308],
    ['implementationVariance', 1e300],
  ] as const) {
    const res = await call('POST', '/v1/feedback', { requestId, testPassRate: 1, implementationVariance: 0, [field]: value });
    assert.equal(res.status, 400, field);
    assert.match(res.json.error, new RegExp(`^${field}: Too big`));
  }
  // Too small for a real: stored as 0 rather than refused by the database.
  assert.equal(
    (await call('POST', '/v1/feedback', { requestId, testPassRate: 1e-300, implementationVariance: 1e-300, latencyMs: 1e-300 })).status,
    202,
  );
  const { rows } = await stack.db.pool.query(
    'SELECT test_pass_rate, implementation_variance, latency_ms FROM feedback WHERE request_id = $1',
    [requestId],
  );
  assert.deepEqual(rows, [{ test_pass_rate: 0, implementation_variance: 0, latency_ms: 0 }]);
});

test('a CI event holding NUL is refused with 400 (it was a 500: PostgreSQL cannot store it)', async () => {
  const envelope = { contextId: '\u0000', task: 't', build: { success: true, errors: [] }, qualityGates: { passed: true, violations: [] } };
  const res = await call('POST', '/v1/ci-events', envelope);
  assert.equal(res.status, 400);
  assert.equal(res.json.error, 'body: must not contain NUL (U+0000) characters');
  const junit = await call(
    'POST',
    '/v1/ci-events',
    '<testsuite name="a"><testcase name="b"><failure message="expected \u0000"/></testcase></testsuite>',
    {
      'content-type': 'application/xml',
      'x-learnloop-context-id': 'ctx-1',
      'x-learnloop-task': 't',
    },
  );
  assert.equal(junit.status, 400, `JUnit with NUL: ${JSON.stringify(junit.json)}`);
});

test('a CI header the document describes is checked even when the format does not need it (an overlong one was accepted)', async () => {
  const envelope = { contextId: 'ctx-1', task: 't', build: { success: true, errors: [] }, qualityGates: { passed: true, violations: [] } };
  const res = await call('POST', '/v1/ci-events', envelope, { 'x-learnloop-task': 'x'.repeat(10_001) });
  assert.equal(res.status, 400);
  assert.match(res.json.error, /^x-learnloop-task header: /);
  assert.equal((await call('POST', '/v1/ci-events', envelope)).status, 202);
});

test("an overlong path parameter gets 400 naming it (it was Fastify's own 414, undeclared and in another shape)", async () => {
  for (const path of [`/v1/models/${'m'.repeat(300)}/routes`, `/v1/applications/${'a'.repeat(300)}/predict`]) {
    const res = await call(
      path.includes('predict') ? 'POST' : 'GET',
      path,
      path.includes('predict') ? { instances: [{ input: {} }] } : undefined,
    );
    assert.equal(res.status, 400, path.slice(0, 20));
    assert.match(res.json.error, /^(modelId|application): Too big/);
  }
});

test('a method a path does not take is 405 with Allow, before any body is read (it was 404, or 400 for QUERY)', async () => {
  const infer = await call('DELETE', '/v1/infer');
  assert.equal(infer.status, 405);
  assert.equal(infer.allow, 'POST');
  assert.match(infer.json.error, /^method: DELETE is not served on \/v1\/infer/);
  assert.equal((await call('PATCH', '/v1/models/m/routes')).allow, 'GET, HEAD, PUT');
  // QUERY carries a body; it used to fail on its missing content type before the route was looked at.
  const query = await new Promise<{ status: number; allow: string | undefined }>((resolve, reject) => {
    const req = request(`${stack.router.url}/healthz`, { method: 'QUERY', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, allow: res.headers.allow });
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(query, { status: 405, allow: 'GET, HEAD' });
  assert.equal((await call('GET', '/v1/nothing-here')).status, 404, 'an unknown path is still 404');
});

test('a context version past a PostgreSQL integer is refused with 400 (it would reach the database and be a 500)', async () => {
  const res = await call('PUT', '/v1/models/m/routes', {
    routes: [{ version: 'v1', contextId: 'ctx-1', contextVersion: 2 ** 31, percent: 100 }],
  });
  assert.equal(res.status, 400);
  assert.match(res.json.error, /^routes\.0\.contextVersion: must fit an integer column/);
});
