import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readRoutes } from '../../src/db/routing-weights.js';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { referenceSplits } from '../../src/reference/build.js';
import { phrasebookContext } from '../../src/reference/phrasebook-context.js';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { checkOutput } from '../../src/reference/task.js';
import { abTest } from '../../workflows/contracts/ab-test.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';
import { startAbTestWorker } from '../support/ab-test-worker.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

// The time-skipping Temporal server, a real worker with the real activities, the real reference model behind the real
// router over HTTP, and a fresh PostgreSQL. Nothing is mocked: before each snapshot the test sends an hour's drifted
// requirements through the router (which picks the variant per user), checks each served template with the task's
// own checks and posts that as feedback; the snapshot activity then measures what the router stored.
let stack: ReferenceStack;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startAbTestWorker>>;
const drifted = referenceSplits().drifted;
const REQUESTS_PER_HOUR = 30;
const served = { none: { n: 0, pass: 0 }, phrasebook: { n: 0, pass: 0 } };

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.router.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(res.status < 300, `${path}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function serveHour(snapshotNo: number): Promise<void> {
  for (let i = 0; i < REQUESTS_PER_HOUR; i++) {
    const r = drifted[(snapshotNo * REQUESTS_PER_HOUR + i) % drifted.length]!;
    const res = await post('/v1/infer', { modelId: REFERENCE_MODEL_ID, userKey: `user-${snapshotNo}-${i}`, input: { text: r.text } });
    const check = checkOutput(r, (res.output as { label: string }).label);
    const tally = served[res.contextId === 'drifted-phrasebook' ? 'phrasebook' : 'none'];
    tally.n++;
    tally.pass += check.testPassRate;
    await post('/v1/feedback', { requestId: res.requestId, ...check });
  }
  await stack.router.writer.drain();
}

before(async () => {
  stack = await startReferenceStack();
  env = await createTimeSkippingEnv();
  // The hour's traffic goes through the router before it is measured.
  worker = await startAbTestWorker(env, stack.db, ({ snapshotNo }) => serveHour(snapshotNo));
  await createContext(stack.db.pool, 'no-context', {}, 'test');
  await createContext(stack.db.pool, 'drifted-phrasebook', phrasebookContext(), 'test');
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (worker as typeof worker | undefined)?.stop();
  await (env as typeof env | undefined)?.teardown();
  await (stack as typeof stack | undefined)?.close();
});

test('an abTest of v1 without and with the drifted-phrasebook context, on real drifted traffic through the router, declares the context the winner and routes to it', async () => {
  const workflowId = `ab-contexts-${randomUUID()}`;
  const result = await env.client.workflow.execute(abTest, {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [
      {
        modelId: REFERENCE_MODEL_ID,
        variantA: { version: 'v1', contextId: 'no-context', contextVersion: 1 },
        variantB: { version: 'v1', contextId: 'drifted-phrasebook', contextVersion: 1 },
        durationHours: 6,
        // Only the pass rate is tested: both variants run the same model, so latency and CPU are not what differs.
        metrics: ['successRate'],
      },
    ],
  });
  const rates = { none: served.none.pass / served.none.n, phrasebook: served.phrasebook.pass / served.phrasebook.n };
  const successRate = result.analysis?.comparisons.find((c) => c.metric === 'successRate');
  console.log(JSON.stringify({ served, rates, outcome: result.outcome, winner: result.winner, successRate }));
  assert.ok(served.none.n > 0 && served.phrasebook.n > 0, 'the router split the users between the variants');
  assert.equal(result.outcome, 'winner');
  assert.equal(result.winner, 'B');
  assert.equal(result.snapshotsTaken, 6);
  assert.equal(successRate?.favours, 'B');
  const { rows } = await stack.db.pool.query('SELECT context_id, context_version FROM promoted_strategies WHERE ab_test_id = $1', [
    workflowId,
  ]);
  assert.deepEqual(rows, [{ context_id: 'drifted-phrasebook', context_version: 1 }]);
  assert.deepEqual((await readRoutes(stack.db.pool, REFERENCE_MODEL_ID)).get(REFERENCE_MODEL_ID), [
    { version: 'v1', contextId: 'drifted-phrasebook', contextVersion: 1, percent: 100 },
  ]);
});
