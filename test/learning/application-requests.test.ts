import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { replaceApplicationRoutes, type ApplicationRoute } from '../../src/db/application-routes.js';
import { insertRequirements } from '../../src/db/learning.js';
import { withTransaction } from '../../src/db/pool.js';
import { ticketTriage } from '../../src/learning/applications/catalog.js';
import { windowRequests } from '../../src/learning/applications/traffic.js';
import { sendApplicationRequests } from '../../src/learning/router-client.js';
import type { RunningRouter } from '../../src/router/server.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { startRouterOn } from '../support/router.js';

// The real router over HTTP on a fresh PostgreSQL, serving a learning-cycle application (ticket-triage, whose
// implementation is its simulator) from the routes a cycle's deploy phase writes. Nothing is mocked.
let db: ThrowawayDatabase;
let router: RunningRouter;
const CYCLE = 'cycle-router-test';
const APP = ticketTriage.id;

before(async () => {
  db = await throwawayDatabase();
  router = await startRouterOn(db);
  await db.pool.query(`INSERT INTO learning_cycles (id, input) VALUES ($1, '{}')`, [CYCLE]);
  await insertRequirements(db.pool, ticketTriage.initialRequirements, null);
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (router as typeof router | undefined)?.close();
  await (db as typeof db | undefined)?.drop();
});

const deploy = (shares: [number, number]) =>
  withTransaction(db.pool, (c) =>
    replaceApplicationRoutes(
      c,
      APP,
      ticketTriage.variants.map(
        (variant, i): ApplicationRoute => ({ variant, percent: shares[i]!, baseline: i === 0, requirementsVersion: 1, cycleId: CYCLE }),
      ),
    ),
  );

interface Prediction {
  requestId: string;
  variant: string;
  status: string;
  output?: unknown;
  error?: string;
  latencyMs: number;
}

async function predict(
  body: unknown,
  application = APP,
): Promise<{ status: number; json: { predictions?: Prediction[]; error?: string } }> {
  const res = await fetch(`${router.url}/v1/applications/${application}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { predictions?: Prediction[]; error?: string } };
}

/** Polls until the router has the routes the database holds (they arrive by NOTIFY). */
async function untilServed(check: (p: Prediction) => boolean, instance: object): Promise<Prediction> {
  for (let i = 0; i < 100; i++) {
    const { status, json } = await predict({ instances: [instance] });
    if (status === 200 && check(json.predictions![0]!)) return json.predictions![0]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the router never served the deployed routes');
}

const requests = windowRequests(ticketTriage, { window: 'router-test', requests: 200, seed: 5 });

test('an application not deployed gets 404 naming it; once deployed, its routes arrive by NOTIFY', async () => {
  const refused = await predict({ instances: [{ input: requests[0]!.input }] });
  assert.deepEqual(refused, { status: 404, json: { error: `application: ${APP} is not deployed behind this router` } });
  await deploy([50, 50]);
  await untilServed(() => true, { input: requests[0]!.input });
  const listed = await (await fetch(`${router.url}/v1/applications`)).json();
  assert.deepEqual(listed, {
    applications: [
      {
        application: APP,
        routes: [
          { variant: 'v1', percent: 50, baseline: true, requirementsVersion: 1, cycleId: CYCLE },
          { variant: 'v2', percent: 50, baseline: false, requirementsVersion: 1, cycleId: CYCLE },
        ],
      },
    ],
  });
  assert.equal((await predict({ instances: [{ input: {} }] }, 'no-such-app')).status, 404);
});

test("each request is answered live by its user's variant, every other variant answers it in shadow, all stored", async () => {
  const { status, json } = await predict({ instances: requests });
  assert.equal(status, 200);
  const predictions = json.predictions!;
  assert.deepEqual(
    predictions.map((p) => p.requestId),
    requests.map((r) => r.requestId),
  );
  const live = new Map(ticketTriage.variants.map((v) => [v, predictions.filter((p) => p.variant === v).length]));
  for (const [variant, n] of live) assert.ok(n > 60 && n < 140, `${variant} answered ${n} of 200 live on a 50/50 split`);

  const { rows } = await db.pool.query<{
    client_request_id: string;
    variant: string;
    shadow: boolean;
    status: string;
    output: unknown;
    cycle_id: string;
    check_no: number | null;
  }>(
    `SELECT client_request_id, variant, shadow, status, output, cycle_id, check_no FROM application_requests WHERE client_request_id = ANY($1::uuid[])`,
    [requests.map((r) => r.requestId)],
  );
  assert.equal(rows.length, 200 * ticketTriage.variants.length);
  assert.ok(
    rows.every((r) => r.cycle_id === CYCLE && r.check_no === null),
    'stored for the cycle, unclaimed by any check',
  );
  for (const p of predictions) {
    const own = rows.filter((r) => r.client_request_id === p.requestId);
    assert.deepEqual(
      own.filter((r) => !r.shadow).map((r) => r.variant),
      [p.variant],
      'one live answer, from the variant that answered',
    );
    const stored = own.find((r) => !r.shadow)!;
    assert.equal(stored.status, p.status);
    assert.deepEqual(stored.output ?? undefined, p.output);
  }

  // Prometheus counts every answer by variant and whether it was served live.
  const scraped = await (await fetch(`${router.url}/metrics`)).text();
  for (const variant of ticketTriage.variants) {
    const count = (served: string) =>
      [
        ...scraped.matchAll(
          new RegExp(
            `learnloop_application_answers_total\\{application="${APP}",variant="${variant}",status="[a-z_]+",served="${served}"\\} (\\d+)`,
            'g',
          ),
        ),
      ].reduce((a, m) => a + Number(m[1]), 0);
    assert.equal(
      count('live') + count('shadow'),
      rows.filter((r) => r.variant === variant).length + 1,
      `${variant} answers on /metrics (and the first test's one request)`,
    );
    assert.ok(count('live') >= live.get(variant)!);
  }

  // A user keeps their variant while the routes hold.
  const again = await predict({ instances: requests.map(({ userKey, input }) => ({ userKey, input })) });
  assert.deepEqual(
    again.json.predictions!.map((p) => p.variant),
    predictions.map((p) => p.variant),
  );
});

test('a resent request (same id) is stored once and answered alike', async () => {
  const resend = requests.slice(0, 20);
  const count = async () => (await db.pool.query(`SELECT count(*)::int AS n FROM application_requests`)).rows[0].n as number;
  const before = await count();
  const first = await predict({ instances: resend });
  const second = await predict({ instances: resend });
  assert.deepEqual(second.json, first.json);
  assert.equal(await count(), before);
});

test('a route change takes effect without a restart: all live traffic to v2', async () => {
  await deploy([0, 100]);
  await untilServed((p) => p.variant === 'v2', { userKey: requests[0]!.userKey, input: requests[0]!.input });
  const { json } = await predict({ instances: requests.slice(0, 50).map(({ userKey, input }) => ({ userKey, input })) });
  assert.deepEqual(new Set(json.predictions!.map((p) => p.variant)), new Set(['v2']));
});

test('bad bodies get 400 with the field and reason, and nothing is stored', async () => {
  const count = async () => (await db.pool.query(`SELECT count(*)::int AS n FROM application_requests`)).rows[0].n as number;
  const before = await count();
  const cases: [unknown, RegExp][] = [
    [{}, /^instances: /],
    [{ instances: [] }, /^instances: must hold at least one request/],
    [{ instances: [{ input: 'text' }] }, /^instances\.0\.input: /],
    [{ instances: [{ input: {}, requestId: 'not-a-uuid' }] }, /^instances\.0\.requestId: /],
    [{ instances: [{ input: {}, extra: 1 }] }, /^instances\.0\.extra: /],
    [{ instances: [{ input: { text: 'a\u0000b' } }] }, /^instances\.0\.input\.text: must not contain NUL/],
    [{ instances: [{ input: { a: [1, { b: 'c\u0000' }] } }] }, /^instances\.0\.input\.a\.1\.b: must not contain NUL/],
    [{ instances: [{ input: { 'k\u0000': 1 } }] }, /^instances\.0\.input\.k.: Invalid key/],
    [{ instances: Array.from({ length: 1001 }, () => ({ input: {} })) }, /^instances: must hold at most 1000 requests/],
  ];
  for (const [body, reason] of cases) {
    const { status, json } = await predict(body);
    assert.equal(status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(json.error!, reason);
  }
  assert.equal(await count(), before);
});

test("the learning cycle's client resends through a 404 until the routes arrive, and names the router's reason when it gives up", async () => {
  const sent = windowRequests(ticketTriage, { window: 'client-test', requests: 30, seed: 9 });
  await assert.rejects(
    sendApplicationRequests({ routerUrl: router.url, patienceMs: 300 }, 'address-normalizer', sent),
    /answered 404: application: address-normalizer is not deployed behind this router/,
  );
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const { port } = closed.address() as AddressInfo;
  await new Promise((r) => closed.close(r));
  await assert.rejects(
    sendApplicationRequests({ routerUrl: `http://127.0.0.1:${port}` }, APP, sent),
    new RegExp(`router http://127.0.0.1:${port}/.* unreachable: .*ECONNREFUSED`),
  );
  // Routes committed after the first attempt: the client waits them out instead of failing the check.
  await withTransaction(db.pool, (c) => replaceApplicationRoutes(c, APP, []));
  while (((await (await fetch(`${router.url}/v1/applications`)).json()) as { applications: unknown[] }).applications.length > 0)
    await new Promise((r) => setTimeout(r, 20));
  const redeploy = new Promise((r) => setTimeout(r, 200)).then(() => deploy([50, 50]));
  await sendApplicationRequests({ routerUrl: router.url }, APP, sent, 10);
  await redeploy;
  const { rows } = await db.pool.query(
    `SELECT count(DISTINCT client_request_id)::int AS n FROM application_requests WHERE client_request_id = ANY($1::uuid[])`,
    [sent.map((r) => r.requestId)],
  );
  assert.equal(rows[0].n, 30);
});
