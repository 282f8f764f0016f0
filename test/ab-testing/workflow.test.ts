import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readWeights } from '../../src/db/routing-weights.js';
import { startCiFeedback } from '../../src/execution-feedback/ci-dispatch.js';
import { storeCiEvent } from '../../src/execution-feedback/ci-event-store.js';
import { createContext, readContext } from '../../src/execution-feedback/context-store.js';
import { seededRandom } from '../../src/training/random.js';
import { abortSignal, abTest, progressQuery, stopSignal } from '../../workflows/contracts/ab-test.js';
import { ciFeedback } from '../../workflows/contracts/ci-feedback.js';
import { startAbTestWorker } from '../support/ab-test-worker.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { catalogueVersions } from '../../bench/support/echo-model.js';
import { createTimeSkippingEnv, signalSettled } from '../../bench/support/temporal.js';

// The time-skipping Temporal server, a real worker and the real activities on a fresh PostgreSQL database. No router
// runs: before each snapshot the test writes the hour's requests and feedback for both variants straight into
// inference_requests/feedback (seeded), standing in for router traffic; the snapshot activity then measures them.
let db: ThrowawayDatabase;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startAbTestWorker>>;
let taskQueue: string;

interface Truth {
  errorRate: number;
  passRate: number;
  latencyMs: number;
  cpuMs: number;
}
const control: Truth = { errorRate: 0.1, passRate: 0.6, latencyMs: 60, cpuMs: 8 };
const better: Truth = { errorRate: 0.02, passRate: 0.85, latencyMs: 40, cpuMs: 6 };
/** Which truth each test's variants are served with, by ab test id. */
const traffic = new Map<string, { A: Truth; B: Truth; rand: () => number }>();

async function serveHour(abTestId: string): Promise<void> {
  const t = traffic.get(abTestId);
  if (!t) return;
  const { rows } = await db.pool.query<{
    model_id: string;
    variant_a: { version: string; contextId: string };
    variant_b: { version: string; contextId: string };
  }>('SELECT model_id, variant_a, variant_b FROM ab_tests WHERE id = $1', [abTestId]);
  const row = rows[0]!;
  for (const [spec, truth] of [
    [row.variant_a, t.A],
    [row.variant_b, t.B],
  ] as const) {
    const ids: string[] = [];
    const errors: (string | null)[] = [];
    const latency: number[] = [];
    const cpu: number[] = [];
    const pass: number[] = [];
    for (let i = 0; i < 40; i++) {
      ids.push(randomUUID());
      errors.push(t.rand() < truth.errorRate ? 'failed' : null);
      latency.push(truth.latencyMs * (0.5 + t.rand()));
      cpu.push(truth.cpuMs * (0.5 + t.rand()));
      pass.push(t.rand() < truth.passRate ? 1 : 0);
    }
    await db.pool.query(
      `INSERT INTO inference_requests (request_id, model_id, version, input, latency_ms, error, context_id, context_version, cpu_ms, memory_bytes)
       SELECT id, $2, $3, '{}', l, e, $4, 1, c, 2048 FROM unnest($1::uuid[], $5::real[], $6::text[], $7::real[]) AS x(id, l, e, c)`,
      [ids, row.model_id, spec.version, spec.contextId, latency, errors, cpu],
    );
    await db.pool.query(
      `INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance)
       SELECT id, $2, $3, p, 0 FROM unnest($1::uuid[], $4::real[]) AS x(id, p)`,
      [ids, row.model_id, spec.version, pass],
    );
  }
}

before(async () => {
  db = await throwawayDatabase();
  env = await createTimeSkippingEnv();
  // The hour's traffic lands before it is measured.
  worker = await startAbTestWorker(env, db, ({ abTestId }) => serveHour(abTestId));
  taskQueue = worker.taskQueue;
  await createContext(db.pool, 'plain', { template: 'Answer.' }, 'test');
  await createContext(
    db.pool,
    'with-examples',
    { template: 'Answer.', examples: [{ id: 'ex-1', input: 'refund?', output: 'refund' }] },
    'test',
  );
});
after(async () => {
  await worker.stop();
  await env.teardown();
  await db.drop();
});

async function newTest(model: string, truths: { A: Truth; B: Truth }, seed: number) {
  await catalogueVersions(db.pool, model, ['v1', 'v2']);
  const workflowId = `ab-${model}`;
  traffic.set(workflowId, { ...truths, rand: seededRandom(seed) });
  const input = {
    modelId: model,
    variantA: { version: 'v1', contextId: 'plain', contextVersion: 1 },
    variantB: { version: 'v2', contextId: 'with-examples', contextVersion: 1 },
  };
  return { workflowId, input };
}

test('a 24-hour abTest with one variant truly better declares it the winner and promotes its context', async () => {
  const { workflowId, input } = await newTest('better-b', { A: control, B: better }, 1);
  const result = await env.client.workflow.execute(abTest, { taskQueue, workflowId, args: [input] });
  assert.equal(result.outcome, 'winner');
  assert.equal(result.winner, 'B');
  assert.equal(result.snapshotsTaken, 24);
  const byMetric = Object.fromEntries(result.analysis!.comparisons.map((c) => [c.metric, c]));
  assert.equal(byMetric.successRate!.favours, 'B');
  assert.ok(byMetric.successRate!.confidenceInterval[0] > 0, 'B’s pass rate is higher, interval above 0');
  assert.match(result.reason, /Holm-corrected/);
  assert.deepEqual((await readWeights(db.pool, 'better-b')).get('better-b'), { v2: 100 });
  const { rows } = await db.pool.query(`SELECT context_id, evidence->>'winner' AS winner FROM promoted_strategies WHERE ab_test_id = $1`, [
    workflowId,
  ]);
  assert.deepEqual(rows, [{ context_id: 'with-examples', winner: 'B' }]);
  const progress = await env.client.workflow.getHandle(workflowId).query(progressQuery);
  assert.equal(progress.state, 'winner');
  assert.equal(progress.estimates.comparisons.length, 4);
});

test('stop analyses with the snapshots so far; progress shows estimates with intervals meanwhile', async () => {
  const { workflowId, input } = await newTest('stopped', { A: control, B: control }, 2);
  const handle = await env.client.workflow.start(abTest, { taskQueue, workflowId, args: [{ ...input, trafficSplit: 20 }] });
  await env.sleep('210m');
  const progress = await handle.query(progressQuery);
  assert.equal(progress.state, 'running');
  assert.equal(progress.snapshotsTaken, 3);
  assert.equal(progress.snapshotsPlanned, 24);
  // As of the workflow's last step (the third snapshot): a query does not advance workflow time.
  assert.ok(progress.elapsedMs >= 3 * 3_600_000, `elapsed ${progress.elapsedMs}`);
  const latency = progress.estimates.comparisons.find((c) => c.metric === 'latencyP99Ms')!;
  assert.ok(latency.confidenceInterval[0] <= latency.difference && latency.difference <= latency.confidenceInterval[1]);
  assert.deepEqual((await readWeights(db.pool, 'stopped')).get('stopped'), { v1: 80, v2: 20 });
  await signalSettled(handle, stopSignal, { reason: 'enough data' });
  const result = await handle.result();
  assert.equal(result.snapshotsTaken, 3);
  assert.equal(result.outcome, 'inconclusive');
  assert.match(result.reason, /^no significant difference .*\(enough data after 3 of 24 snapshots\)$/);
  assert.deepEqual((await readWeights(db.pool, 'stopped')).get('stopped'), { v1: 100 });
});

test('abort ends the test without a decision and routes everything back to variant A', async () => {
  const { workflowId, input } = await newTest('aborted', { A: control, B: better }, 3);
  const handle = await env.client.workflow.start(abTest, { taskQueue, workflowId, args: [input] });
  await env.sleep('150m');
  await signalSettled(handle, abortSignal, { reason: 'customer complaints' });
  const result = await handle.result();
  assert.deepEqual(
    { ...result, snapshotsTaken: undefined },
    { outcome: 'aborted', winner: null, reason: 'customer complaints', snapshotsTaken: undefined, analysis: null },
  );
  assert.deepEqual((await readWeights(db.pool, 'aborted')).get('aborted'), { v1: 100 });
  const { rows } = await db.pool.query('SELECT status FROM ab_tests WHERE id = $1', [workflowId]);
  assert.equal(rows[0].status, 'aborted');
});

test('bad input fails the workflow at once, without retry, naming the field', async () => {
  const { input } = await newTest('bad-input', { A: control, B: control }, 4);
  await assert.rejects(
    env.client.workflow.execute(abTest, { taskQueue, workflowId: `ab-bad-${randomUUID()}`, args: [{ ...input, snapshotInterval: '90' }] }),
    (err) =>
      err instanceof WorkflowFailedError &&
      err.cause instanceof ApplicationFailure &&
      err.cause.nonRetryable &&
      /^snapshotInterval: must be a duration/.test(err.cause.message),
  );
});

test('ciFeedback: started twice for one event id, it runs once and updates the context once', async () => {
  await createContext(db.pool, 'ci-ctx', { template: 'Write it.' }, 'test');
  const eventId = `evt-${randomUUID()}`;
  await storeCiEvent(db.pool, {
    eventId,
    contextId: 'ci-ctx',
    task: 't',
    kind: 'junit',
    feedback: { tests: { run: 10, passed: 2 }, problems: [{ kind: 'tests', text: 'a › b: expected 1' }] },
  });
  assert.deepEqual(await startCiFeedback(env.client, eventId, taskQueue), { started: true });
  const result = await env.client.workflow.getHandle(eventId).result();
  assert.deepEqual(await startCiFeedback(env.client, eventId, taskQueue), { started: false });
  assert.equal(result.toVersion, 2);
  assert.deepEqual(result.addedConstraints, [`tests:${eventId}`]);
  assert.equal((await readContext(db.pool, 'ci-ctx')).version, 2);
  await assert.rejects(
    env.client.workflow.execute(ciFeedback, { taskQueue, workflowId: `ci-bad-${randomUUID()}`, args: [{ eventId: 'never-stored' }] }),
    (err) =>
      err instanceof WorkflowFailedError &&
      /eventId: no stored CI event never-stored/.test(String((err.cause?.cause as Error | undefined)?.message)),
  );
});
