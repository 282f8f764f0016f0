import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createAbTestingActivities } from '../../activities/ab-testing.js';
import { createExecutionFeedbackActivities } from '../../activities/execution-feedback.js';
import { loadConfig } from '../../src/config.js';
import { readWeights } from '../../src/db/routing-weights.js';
import { contextHistory, createContext, readContext } from '../../src/execution-feedback/context-store.js';
import { feedbackFromEnvelope, feedbackFromTests } from '../../src/execution-feedback/feedback.js';
import { parseJUnit } from '../../src/execution-feedback/junit.js';
import { createLogger } from '../../src/log.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

// Real PostgreSQL (a fresh migrated database); MockActivityEnvironment is Temporal's harness for running an
// activity with its context outside a worker.
let db: ThrowawayDatabase;
let acts: ReturnType<typeof createAbTestingActivities> & ReturnType<typeof createExecutionFeedbackActivities>;
const quiet = { logger: new DefaultLogger('ERROR') };
const run = <A, R>(fn: (a: A) => Promise<R>, input: A): Promise<R> => new MockActivityEnvironment(undefined, quiet).run(fn, input);
const junit = readFileSync(new URL('../fixtures/execution-feedback/junit-node.xml', import.meta.url), 'utf8');

before(async () => {
  db = await throwawayDatabase();
  const deps = { pool: db.pool, logger: createLogger({ level: 'silent' }), config: loadConfig({ DATABASE_URL: db.url }) };
  acts = { ...createAbTestingActivities(deps), ...createExecutionFeedbackActivities(deps) };
  await db.pool.query(`INSERT INTO models (model_id) VALUES ('m')`);
  for (const v of ['v1', 'v2']) {
    await db.pool.query(`INSERT INTO model_versions (model_id, version, artifact_uri, sha256) VALUES ('m', $1, 'file:///x', $2)`, [
      v,
      'a'.repeat(64),
    ]);
  }
  await createContext(db.pool, 'ctx-a', { template: 'Answer.', examples: [{ id: 'ex-1', input: 'q', output: 'a' }] }, 'test');
  await createContext(db.pool, 'ctx-b', { template: 'Answer carefully.', constraints: [{ id: 'c-1', text: 'check inputs' }] }, 'test');
});
after(async () => {
  await db.drop();
});

test('a redelivered CI event is stored once and processed once; the context history reads back', async () => {
  const event = {
    eventId: 'evt-1',
    contextId: 'ctx-a',
    task: 'cart totals',
    kind: 'junit' as const,
    feedback: feedbackFromTests(parseJUnit(junit)),
  };
  assert.deepEqual(await run(acts.storeCiEvent.bind(acts), event), { stored: true, status: 'received' });
  assert.deepEqual(await run(acts.storeCiEvent.bind(acts), event), { stored: false, status: 'received' });
  const first = await run(acts.processCiEvent.bind(acts), { eventId: 'evt-1' });
  const second = await run(acts.processCiEvent.bind(acts), { eventId: 'evt-1' });
  assert.equal(first.alreadyProcessed, false);
  assert.deepEqual(second, { ...first, alreadyProcessed: true });
  assert.deepEqual([first.fromVersion, first.toVersion], [1, 2]);
  // 1 of 3 tests that ran passed: gradient 2/3 − 1 = −1/3, below −0.3, so a test context was added.
  assert.deepEqual(first.addedConstraints, ['tests:evt-1']);
  assert.equal((await readContext(db.pool, 'ctx-a')).version, 2);
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM context_updates WHERE event_id = 'evt-1'`);
  assert.equal(rows[0].n, 1);

  // The fixed suite: all three tests pass.
  await run(acts.storeCiEvent.bind(acts), {
    eventId: 'evt-2',
    contextId: 'ctx-a',
    task: 'cart totals',
    kind: 'junit',
    feedback: { tests: { run: 3, passed: 3 }, problems: [] },
  });
  const next = await run(acts.processCiEvent.bind(acts), { eventId: 'evt-2' });
  assert.equal(next.score, 1);
  assert.ok(Math.abs(next.improvement! - (1 - -1 / 3)) < 1e-12, `improvement ${String(next.improvement)}`);

  const history = await contextHistory(db.pool, 'ctx-a');
  assert.deepEqual(
    history.map((h) => [h.eventId, h.fromVersion, h.toVersion]),
    [
      ['evt-1', 1, 2],
      ['evt-2', 2, 3],
    ],
  );
  assert.equal(history[0]!.before.constraints.length, 0);
  assert.equal(history[0]!.after.constraints[0]!.kind, 'tests');
  // The constraint added for the failing tests fixed them in evt-2: its feature gradient is 0.2, the example's 0.1.
  assert.deepEqual((history[1]!.gradient as { features: Record<string, number> }).features, { 'ex-1': 0.1, 'tests:evt-1': 0.2 });

  const build = feedbackFromEnvelope({
    contextId: 'ctx-a',
    task: 'cart totals',
    build: { success: false, errors: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'] },
    qualityGates: { passed: true, violations: [] },
  });
  await run(acts.storeCiEvent.bind(acts), { eventId: 'evt-3', contextId: 'ctx-a', task: 'cart totals', kind: 'envelope', feedback: build });
  const broken = await run(acts.processCiEvent.bind(acts), { eventId: 'evt-3' });
  assert.deepEqual(broken.addedConstraints, ['compilation:evt-3']);
  assert.ok(Math.abs(broken.improvement! - (-0.6 - 1)) < 1e-12);
});

test('an event for an unknown context fails without retry and is marked failed', async () => {
  const fb = feedbackFromTests(parseJUnit(junit));
  await run(acts.storeCiEvent.bind(acts), { eventId: 'evt-x', contextId: 'nope', task: 't', kind: 'junit', feedback: fb });
  await assert.rejects(
    run(acts.processCiEvent.bind(acts), { eventId: 'evt-x' }),
    (err) => err instanceof ApplicationFailure && err.nonRetryable && /contextId: unknown context nope/.test(err.message),
  );
  const { rows } = await db.pool.query(`SELECT status, error FROM ci_events WHERE event_id = 'evt-x'`);
  assert.deepEqual(rows[0], { status: 'failed', error: 'contextId: unknown context nope' });
});

async function serve(
  variant: { version: string; contextId: string },
  n: number,
  o: { errors: number; passRate: number; cpuMs: number; latencyMs: number },
) {
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    await db.pool.query(
      `INSERT INTO inference_requests (request_id, model_id, version, input, latency_ms, error, context_id, context_version, cpu_ms, memory_bytes)
       VALUES ($1, 'm', $2, '{}', $3, $4, $5, 1, $6, 1000)`,
      [id, variant.version, o.latencyMs + i, i < o.errors ? 'boom' : null, variant.contextId, o.cpuMs],
    );
    await db.pool.query(
      `INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance) VALUES ($1, 'm', $2, $3, 0)`,
      [id, variant.version, o.passRate],
    );
  }
}

test('A/B activities: split routed, snapshots measured once per window, winner promoted once', async () => {
  const A = { version: 'v1', contextId: 'ctx-a', contextVersion: 1 };
  const B = { version: 'v2', contextId: 'ctx-b', contextVersion: 1 };
  await run(acts.startAbTest.bind(acts), { id: 'ab-1', modelId: 'm', variantA: A, variantB: B, trafficSplit: 30, alpha: 0.05 });
  assert.deepEqual((await readWeights(db.pool, 'm')).get('m'), { v1: 70, v2: 30 });

  await serve(A, 10, { errors: 2, passRate: 0.6, cpuMs: 5, latencyMs: 100 });
  await serve(B, 4, { errors: 0, passRate: 0.9, cpuMs: 3, latencyMs: 50 });
  const s1 = await run(acts.snapshotVariants.bind(acts), { abTestId: 'ab-1', snapshotNo: 1 });
  assert.equal(s1.A!.requests, 10);
  assert.equal(s1.A!.errorRate, 0.2);
  assert.ok(Math.abs(s1.A!.successRate! - 0.6) < 1e-6);
  assert.equal(s1.A!.latencyP50Ms, 104.5);
  assert.equal(s1.B!.cpuMsPerRequest, 3);
  assert.equal(s1.B!.memoryBytesPerRequest, 1000);

  await serve(B, 3, { errors: 3, passRate: 0.1, cpuMs: 9, latencyMs: 10 });
  assert.deepEqual(
    await run(acts.snapshotVariants.bind(acts), { abTestId: 'ab-1', snapshotNo: 1 }),
    s1,
    'a retried snapshot keeps its first reading',
  );
  const s2 = await run(acts.snapshotVariants.bind(acts), { abTestId: 'ab-1', snapshotNo: 2 });
  assert.equal(s2.A, null, 'A served nothing since the first snapshot');
  assert.deepEqual([s2.B!.requests, s2.B!.errorRate], [3, 1]);

  const analysis = await run(acts.analyzeAbTest.bind(acts), { abTestId: 'ab-1' });
  assert.equal(analysis.untested.length, 4, 'one snapshot of A is too few to test');
  assert.equal(analysis.winner, null);

  assert.deepEqual(await run(acts.promoteStrategy.bind(acts), { abTestId: 'ab-1', winner: 'B', analysis }), { promoted: true });
  assert.deepEqual(await run(acts.promoteStrategy.bind(acts), { abTestId: 'ab-1', winner: 'B', analysis }), { promoted: false });
  assert.deepEqual((await readWeights(db.pool, 'm')).get('m'), { v2: 100 });
  const { rows } = await db.pool.query(`SELECT context_id, context_version FROM promoted_strategies WHERE ab_test_id = 'ab-1'`);
  assert.deepEqual(rows, [{ context_id: 'ctx-b', context_version: 1 }]);
  await run(acts.closeAbTest.bind(acts), { abTestId: 'ab-1', status: 'inconclusive', analysis: null });
  const status = await db.pool.query(`SELECT status, winner FROM ab_tests WHERE id = 'ab-1'`);
  assert.deepEqual(status.rows[0], { status: 'winner', winner: 'B' }, 'an ended test keeps its outcome');
});

test('an inconclusive test gives all traffic back to variant A; an unknown context is refused', async () => {
  const A = { version: 'v1', contextId: 'ctx-a', contextVersion: 1 };
  await assert.rejects(
    run(acts.startAbTest.bind(acts), {
      id: 'ab-bad',
      modelId: 'm',
      variantA: A,
      variantB: { ...A, contextId: 'missing' },
      trafficSplit: 50,
      alpha: 0.05,
    }),
    (err) => err instanceof ApplicationFailure && err.nonRetryable && /variantB\.contextId: unknown context missing/.test(err.message),
  );
  await run(acts.startAbTest.bind(acts), {
    id: 'ab-2',
    modelId: 'm',
    variantA: A,
    variantB: { version: 'v2', contextId: 'ctx-b', contextVersion: 1 },
    trafficSplit: 50,
    alpha: 0.05,
  });
  assert.deepEqual((await readWeights(db.pool, 'm')).get('m'), { v1: 50, v2: 50 });
  await run(acts.closeAbTest.bind(acts), { abTestId: 'ab-2', status: 'inconclusive', analysis: null });
  assert.deepEqual((await readWeights(db.pool, 'm')).get('m'), { v1: 100 });
});
