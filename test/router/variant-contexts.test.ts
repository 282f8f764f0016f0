import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { withTransaction } from '../../src/db/pool.js';
import { readRoutes, replaceRoutes, replaceWeights, WeightsError } from '../../src/db/routing-weights.js';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { referenceSplits } from '../../src/reference/build.js';
import { phrasebookContext } from '../../src/reference/phrasebook-context.js';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { checkOutput } from '../../src/reference/task.js';
import { bucketOf } from '../../src/router/routing-table.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';

// The real reference model (v1 trained on standard phrasing), the real router over HTTP and a fresh PostgreSQL.
// Nothing is mocked. Two variants share v1 and differ in context: none, or the drifted→standard phrasebook context.
let stack: ReferenceStack;
const CONTEXT = 'drifted-phrasebook';
const auth = { authorization: 'Bearer variant-test-token' };

before(async () => {
  stack = await startReferenceStack({ apiToken: 'variant-test-token' });
  await createContext(stack.db.pool, CONTEXT, phrasebookContext(), 'test');
});
// after() runs even when before() failed part-way: what it did not get to is still undefined.
after(async () => (stack as typeof stack | undefined)?.close());

interface Served {
  requestId: string;
  version: string;
  contextId: string | null;
  contextVersion: number | null;
  output: { label: string };
}

async function infer(text: string, userKey: string): Promise<Served> {
  const res = await fetch(`${stack.router.url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ modelId: REFERENCE_MODEL_ID, userKey, input: { text } }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Served;
}

/** A user key whose bucket falls in [lo, hi): the test picks users for each half of a 50/50 split. */
function userIn(lo: number, hi: number, from: number): string {
  for (let k = from; ; k++) if (bucketOf(`user-${k}`) >= lo && bucketOf(`user-${k}`) < hi) return `user-${k}`;
}

test('variants sharing a version route by context over NOTIFY, and the phrasebook context makes v1 pass more on drifted requirements', async () => {
  const { pool } = stack.db;
  // Written to the database only: the router learns the variants by LISTEN/NOTIFY, as every router does.
  await withTransaction(pool, (c) =>
    replaceRoutes(
      c,
      REFERENCE_MODEL_ID,
      [
        { version: 'v1', contextId: null, contextVersion: null, percent: 50 },
        { version: 'v1', contextId: CONTEXT, contextVersion: 1, percent: 50 },
      ],
      'test',
    ),
  );
  for (let i = 0; i < 100 && stack.router.table.variants(REFERENCE_MODEL_ID)?.length !== 2; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(stack.router.table.weights(REFERENCE_MODEL_ID), { v1: 100 });
  assert.equal(stack.router.table.variants(REFERENCE_MODEL_ID)?.length, 2);

  // Every drifted requirement goes to both variants: once for a user in the first half of the buckets (the variant
  // without context sorts first), once for a user in the second half.
  const drifted = referenceSplits().drifted.slice(0, 120);
  const pass = { plain: 0, context: 0 };
  const requestIds: string[] = [];
  for (const [i, r] of drifted.entries()) {
    const plainUser = userIn(0, 5_000, i * 1_000);
    const contextUser = userIn(5_000, 10_000, i * 1_000);
    const plain = await infer(r.text, plainUser);
    const withContext = await infer(r.text, contextUser);
    assert.deepEqual([plain.version, plain.contextId, plain.contextVersion], ['v1', null, null]);
    assert.deepEqual([withContext.version, withContext.contextId, withContext.contextVersion], ['v1', CONTEXT, 1]);
    // Sticky: the same user is served by the same variant again.
    if (i < 10) assert.equal((await infer(r.text, contextUser)).contextId, CONTEXT);
    pass.plain += checkOutput(r, plain.output.label).testPassRate;
    pass.context += checkOutput(r, withContext.output.label).testPassRate;
    requestIds.push(withContext.requestId);
  }
  const rates = { plain: pass.plain / drifted.length, context: pass.context / drifted.length };
  console.log(
    JSON.stringify({ driftedRequirements: drifted.length, v1PassRate: rates.plain, v1WithPhrasebookContextPassRate: rates.context }),
  );
  assert.ok(rates.context > rates.plain + 0.1, `context ${rates.context} vs none ${rates.plain}`);

  // Every row records its variant and the serving process's CPU time and resident memory.
  await stack.router.writer.drain();
  const { rows } = await pool.query<{ context_id: string | null; context_version: number | null; n: number; cpu: number; mem: number }>(
    `SELECT context_id, context_version, count(*)::int AS n, count(cpu_ms)::int AS cpu, count(*) FILTER (WHERE memory_bytes > 0)::int AS mem
     FROM inference_requests GROUP BY 1, 2 ORDER BY 1 NULLS FIRST`,
  );
  assert.deepEqual(rows, [
    { context_id: null, context_version: null, n: drifted.length, cpu: drifted.length, mem: drifted.length },
    { context_id: CONTEXT, context_version: 1, n: drifted.length + 10, cpu: drifted.length + 10, mem: drifted.length + 10 },
  ]);
  const { rows: stored } = await pool.query(
    'SELECT count(*)::int AS n FROM inference_requests WHERE request_id = ANY($1) AND context_id = $2',
    [requestIds, CONTEXT],
  );
  assert.equal(stored[0].n, drifted.length);
});

test('variant routes are validated: an unknown context or a repeated variant is refused, and `routes set` weights clear the variants', async () => {
  const { pool } = stack.db;
  await assert.rejects(
    withTransaction(pool, (c) =>
      replaceRoutes(c, REFERENCE_MODEL_ID, [{ version: 'v1', contextId: 'nope', contextVersion: 1, percent: 100 }], 'test'),
    ),
    (err) => err instanceof WeightsError && /not registered/.test(err.message),
  );
  await assert.rejects(
    withTransaction(pool, (c) =>
      replaceRoutes(
        c,
        REFERENCE_MODEL_ID,
        [
          { version: 'v1', contextId: CONTEXT, contextVersion: 1, percent: 50 },
          { version: 'v1', contextId: CONTEXT, contextVersion: 1, percent: 50 },
        ],
        'test',
      ),
    ),
    (err) => err instanceof WeightsError && /twice/.test(err.message),
  );
  // Plain per-version weights (what `routes set` and the rollout write) replace the variants with context-free routes.
  await withTransaction(pool, (c) => replaceWeights(c, REFERENCE_MODEL_ID, { v1: 100 }, 'test'));
  assert.deepEqual((await readRoutes(pool, REFERENCE_MODEL_ID)).get(REFERENCE_MODEL_ID), [
    { version: 'v1', contextId: null, contextVersion: null, percent: 100 },
  ]);
});

test('an operator sets variants with a context over HTTP: stored, applied at once, listed, and bad ones refused with the reason', async () => {
  const put = (body: unknown) =>
    fetch(`${stack.router.url}/v1/models/${REFERENCE_MODEL_ID}/routes`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
  const routes = [
    { version: 'v1', contextId: null, contextVersion: null, percent: 30 },
    { version: 'v1', contextId: CONTEXT, contextVersion: 1, percent: 70 },
  ];
  const ok = await put({ routes });
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.deepEqual(await ok.json(), { modelId: REFERENCE_MODEL_ID, weights: { v1: 100 }, routes });
  // Applied on this router before the NOTIFY round trip: a user in the top 70% of buckets gets the context now.
  assert.equal((await infer(referenceSplits().drifted[0]!.text, userIn(3_000, 10_000, 0))).contextId, CONTEXT);
  const listed = await fetch(`${stack.router.url}/v1/models/${REFERENCE_MODEL_ID}/routes`, { headers: auth });
  assert.deepEqual(((await listed.json()) as { routes: unknown }).routes, routes);
  assert.deepEqual((await readRoutes(stack.db.pool, REFERENCE_MODEL_ID)).get(REFERENCE_MODEL_ID), routes);

  const refused: [unknown, RegExp][] = [
    [
      { routes: [{ version: 'v1', contextId: CONTEXT, contextVersion: 9, percent: 100 }] },
      /^routes: .*not registered: v1\+drifted-phrasebook@9/,
    ],
    [{ routes: [{ version: 'v1', contextId: CONTEXT, percent: 100 }] }, /^routes\.0: contextId and contextVersion go together/],
    [{ routes: [{ version: 'v1', percent: 60 }] }, /^routes: must sum to 100/],
    [{ weights: { v1: 100 }, routes }, /^weights: give either weights/],
  ];
  for (const [body, message] of refused) {
    const res = await put(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { error: string }).error, message, JSON.stringify(body));
  }
  assert.deepEqual(
    (await readRoutes(stack.db.pool, REFERENCE_MODEL_ID)).get(REFERENCE_MODEL_ID),
    routes,
    'a refused change changes nothing',
  );
});
