import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { processCiEvent } from '../../src/execution-feedback/ci-event-store.js';
import { createContext, readContext } from '../../src/execution-feedback/context-store.js';
import { createLogger } from '../../src/log.js';
import { buildRouterApp } from '../../src/router/app.js';
import { BatchWriter } from '../../src/router/batch-writer.js';
import { ciEventsRoutes } from '../../src/execution-feedback/ci-events-route.js';
import { createRouterMetrics } from '../../src/router/metrics.js';
import { RecentRequests } from '../../src/router/recent-requests.js';
import { ApplicationTable } from '../../src/router/application-table.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { versionEchoPredictor } from '../../bench/support/echo-model.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { routerFeatures } from '../../src/cli/router-features.js';

// The real router app (bearer auth, error handler) with the CI events plugin registered the way app.ts will, on a
// real port. dispatch processes the event in-process, standing in for starting the ciFeedback workflow.
const token = 'ci-token';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url), 'utf8');
let db: ThrowawayDatabase;
let app: FastifyInstance;
let writer: BatchWriter;
let url: string;
const dispatched: string[] = [];

before(async () => {
  db = await throwawayDatabase();
  await createContext(db.pool, 'ctx-1', { template: 'Write it.' }, 'test');
  const logger = createLogger({ level: 'silent' });
  writer = new BatchWriter({
    pool: db.pool,
    logger,
    maxBufferedRows: 1000,
    maxBufferedBytes: 1 << 20,
    batchRows: 100,
    flushIntervalMs: 100,
  });
  app = buildRouterApp({
    pool: db.pool,
    predictor: versionEchoPredictor,
    table: new RoutingTable(),
    applications: new ApplicationTable(),
    writer,
    logger,
    apiToken: token,
    metrics: createRouterMetrics(() => writer),
    recent: new RecentRequests(db.pool, 1000),
    ...routerFeatures(),
  });
  await app.register(ciEventsRoutes, {
    pool: db.pool,
    logger,
    dispatch: async (eventId) => {
      dispatched.push(eventId);
      await processCiEvent(db.pool, eventId);
    },
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await app.close();
  await writer.close();
  await db.drop();
});

const post = (body: string, contentType: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/ci-events`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType, ...headers },
  });
type Answer = Record<string, unknown> & { eventId: string; error: string; duplicate: boolean; kind: string };
const read = async (res: Response): Promise<Answer> => (await res.json()) as Answer;
const ctx = { 'x-learnloop-context-id': 'ctx-1', 'x-learnloop-task': 'cart totals' };

test('a JUnit report updates its context; the same report redelivered is answered as a duplicate and changes nothing', async () => {
  const res = await post(fixture('junit-node.xml'), 'application/xml', ctx);
  assert.equal(res.status, 202);
  const body = await read(res);
  assert.match(body.eventId, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(
    { ...body, eventId: undefined },
    { eventId: undefined, duplicate: false, kind: 'junit', contextId: 'ctx-1', tests: 4, passed: 1, failed: 2, skipped: 1 },
  );
  assert.equal((await readContext(db.pool, 'ctx-1')).version, 2);

  const again = await post(fixture('junit-node.xml'), 'application/xml', ctx);
  assert.equal(again.status, 202);
  assert.equal((await read(again)).duplicate, true);
  assert.equal((await readContext(db.pool, 'ctx-1')).version, 2);
  assert.deepEqual(
    dispatched.filter((id) => id === body.eventId),
    [body.eventId],
    'dispatched once',
  );
});

test('SARIF (application/sarif+json or application/json) and the JSON envelope are accepted', async () => {
  const sarif = await post(fixture('eslint.sarif'), 'application/sarif+json', { ...ctx, 'x-learnloop-event-id': 'lint-1' });
  assert.equal(sarif.status, 202);
  assert.deepEqual(await read(sarif), { eventId: 'lint-1', duplicate: false, kind: 'sarif', contextId: 'ctx-1', findings: 4, security: 0 });
  const asJson = await post(fixture('eslint.sarif'), 'application/json', { ...ctx, 'x-learnloop-event-id': 'lint-2' });
  assert.equal((await read(asJson)).kind, 'sarif');
  const envelope = {
    contextId: 'ctx-1',
    task: 'cart totals',
    build: { success: true, errors: [] },
    qualityGates: { passed: true, violations: [] },
  };
  const env = await post(JSON.stringify(envelope), 'application/json', { 'x-learnloop-event-id': 'build-1' });
  assert.equal(env.status, 202);
  assert.deepEqual(await read(env), {
    eventId: 'build-1',
    duplicate: false,
    kind: 'envelope',
    contextId: 'ctx-1',
    buildSuccess: true,
    qualityGatesPassed: true,
  });
});

test('the envelope carries deployment, production metrics and a trace with its fix; a bad fix type is refused naming the field', async () => {
  const envelope = {
    contextId: 'ctx-1',
    task: 'cart totals',
    build: { success: false, errors: ['npm ERR! missing dependency left-pad'] },
    qualityGates: { passed: true, violations: [] },
    deployment: { success: false, environment: 'staging', rolledBack: true },
    productionMetrics: { errorRate: 0.2 },
    debugging: { trace: fixture('trace-node-7.txt'), fix: { caseId: 'PR-9', fixType: 'null-check', contextChange: {} } },
  };
  const res = await post(JSON.stringify(envelope), 'application/json', { 'x-learnloop-event-id': 'deploy-1' });
  assert.equal(res.status, 202);
  const { rows } = await db.pool.query(`SELECT feedback FROM ci_events WHERE event_id = 'deploy-1'`);
  assert.deepEqual(rows[0].feedback.deployment, envelope.deployment);
  assert.deepEqual(rows[0].feedback.productionMetrics, envelope.productionMetrics);
  assert.equal(rows[0].feedback.debugging.fix.caseId, 'PR-9');
  const { rows: improvements } = await db.pool.query(`SELECT type, issues FROM ci_improvements WHERE event_id = 'deploy-1'`);
  assert.deepEqual(improvements, [{ type: 'build_failure', issues: ['missing_dependencies'] }]);

  const bad = { ...envelope, debugging: { trace: 'x', fix: { caseId: 'c', fixType: 'prayer', contextChange: {} } } };
  const refused = await post(JSON.stringify(bad), 'application/json', { 'x-learnloop-event-id': 'deploy-2' });
  assert.equal(refused.status, 400);
  assert.match((await read(refused)).error, /^debugging\.fix\.fixType: /);
});

test('malformed reports get 400 naming what is wrong; unknown context 404; no token 401', async () => {
  const cases: [string, string, Record<string, string>, number, RegExp][] = [
    [
      '<testsuites><testsuite name="x"><testcase name="a"></testsuite></testsuites>',
      'application/xml',
      ctx,
      400,
      /^JUnit XML: line 1, column \d+: Expected closing tag 'testcase'/,
    ],
    [fixture('junit-node.xml'), 'text/xml', { 'x-learnloop-task': 't' }, 400, /^x-learnloop-context-id header: required with JUnit XML$/],
    ['{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}', 'application/sarif+json', ctx, 400, /^SARIF: runs\.0\.tool\.driver\.name: /],
    ['{"version":"2.1.0",', 'application/sarif+json', ctx, 400, /^SARIF: not JSON: /],
    [
      '{"contextId":"ctx-1","task":"t","build":{"success":true},"qualityGates":{"passed":true,"violations":[]}}',
      'application/json',
      {},
      400,
      /^build\.errors: /,
    ],
    [fixture('junit-node.xml'), 'application/xml', { ...ctx, 'x-learnloop-context-id': 'nope' }, 404, /^contextId: unknown context nope$/],
    ['hello', 'text/plain', ctx, 415, /^content-type: expected one of application\/xml, /],
  ];
  for (const [body, type, headers, status, error] of cases) {
    const res = await post(body, type, headers);
    const answer = await read(res);
    assert.equal(res.status, status, JSON.stringify(answer));
    assert.match(answer.error, error);
  }
  const unauthorised = await fetch(`${url}/v1/ci-events`, {
    method: 'POST',
    body: '<testsuite/>',
    headers: { 'content-type': 'application/xml' },
  });
  assert.equal(unauthorised.status, 401);
});

/** Sends headers and only `send` bytes of the body, and resolves with the status as soon as the server answers. */
function partialUpload(headers: Record<string, string>, send: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({
      hostname,
      port,
      path: '/v1/ci-events',
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml', ...ctx, ...headers },
    });
    req.on('response', (res) => {
      resolve(res.statusCode!);
      res.resume();
      req.destroy();
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let sent = 0; sent < send; sent += chunk.length) req.write(chunk);
    // The body is never finished: an answer can only come from a server that did not wait for it.
  });
}

test('a 50 MB report is refused with 413 before its body is read', async () => {
  assert.equal(await partialUpload({ 'content-length': String(50 * 1024 * 1024) }, 1024 * 1024), 413);
});

test('a chunked upload without a length is cut off with 413 once it passes the limit', async () => {
  assert.equal(await partialUpload({ 'transfer-encoding': 'chunked' }, 11 * 1024 * 1024), 413);
});
