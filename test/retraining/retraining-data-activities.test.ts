import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createRetrainingDataActivities } from '../../activities/retraining-data.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { seedExample, seedModel } from '../support/retraining-seed.js';

// Real PostgreSQL (pgvector's HNSW index where the server has it, exact dedup otherwise), the real encoder;
// MockActivityEnvironment is Temporal's own harness for running an activity function with an activity context
// (heartbeats, info) outside a worker.
let db: ThrowawayDatabase;
let embedder: SentenceEmbedder;
let acts: ReturnType<typeof createRetrainingDataActivities>;
// Failures are asserted on; the harness's own warn line for each would only be noise.
const quiet = { logger: new DefaultLogger('ERROR') };
const run = <A, R>(fn: (a: A) => Promise<R>, input: A, env = new MockActivityEnvironment(undefined, quiet)): Promise<R> =>
  env.run(fn, input);

before(async () => {
  db = await throwawayDatabase();
  const config = loadConfig({ DATABASE_URL: db.url });
  embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
  acts = createRetrainingDataActivities({ pool: db.pool, logger: createLogger({ level: 'silent' }), config }, { embedder });
  await seedModel(db.pool, 'm');
});
after(async () => {
  await embedder.close();
  await db.drop();
});

const nonRetryable = (message: RegExp) => (err: unknown) =>
  err instanceof ApplicationFailure && err.nonRetryable && message.test(err.message);

test('select, deduplicate and mark used: a second round skips what was learned and its near-duplicates', async () => {
  const pool = db.pool;
  const base = await seedExample(pool, { text: 'Build a REST endpoint that returns the list of users as JSON', passRate: 1 });
  const members = await seedExample(pool, { text: 'Build a REST endpoint that returns the list of members as JSON', passRate: 0.95 });
  const resize = await seedExample(pool, { text: 'Write a command-line tool that resizes PNG images in a folder', passRate: 0.9 });
  await seedExample(pool, { text: 'Parse a CSV file and sum the second column', passRate: 0.5 });

  const { examples } = await run(acts.selectExamples.bind(acts), { modelId: 'm' });
  assert.deepEqual(
    examples.map((e) => e.requestId),
    [base, members, resize],
  );
  assert.deepEqual(await run(acts.countQualifyingExamples.bind(acts), { modelId: 'm' }), { count: 3 });

  const heartbeats: unknown[] = [];
  const env = new MockActivityEnvironment(undefined, quiet);
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const first = await run(acts.deduplicateExamples.bind(acts), { modelId: 'm', requestIds: examples.map((e) => e.requestId) }, env);
  assert.deepEqual(first.kept, [base, resize]);
  assert.deepEqual(
    first.dropped.map((d) => [d.requestId, d.duplicateOf, d.against]),
    [[members, base, 'kept']],
  );
  assert.deepEqual(heartbeats.at(-1), { done: 3, total: 3 }, 'encoding progress is heartbeated');
  const stored = await pool.query('SELECT count(*)::int AS n FROM example_embeddings');
  assert.equal(stored.rows[0].n, 3, 'candidate embeddings are kept for a retry and for marking');

  assert.deepEqual(
    await run(acts.deduplicateExamples.bind(acts), { modelId: 'm', requestIds: examples.map((e) => e.requestId) }),
    first,
    'a retried dedup answers the same',
  );

  const trainingRunId = (await pool.query("INSERT INTO training_runs (model_id, trigger) VALUES ('m', 'manual') RETURNING id::text"))
    .rows[0].id;
  const mark = { modelId: 'm', requestIds: first.kept, trainingRunId };
  assert.deepEqual(await run(acts.markExamplesUsed.bind(acts), mark), { inserted: 2, alreadyUsed: 0 });
  assert.deepEqual(await run(acts.markExamplesUsed.bind(acts), mark), { inserted: 0, alreadyUsed: 2 }, 'marking again changes nothing');
  const used = await pool.query(
    'SELECT request_id::text AS id, training_run_id::text AS run, embedding IS NOT NULL AS has_embedding, quality_score FROM phase4_training_data ORDER BY quality_score DESC',
  );
  assert.deepEqual(used.rows, [
    { id: base, run: trainingRunId, has_embedding: true, quality_score: 1 },
    { id: resize, run: trainingRunId, has_embedding: true, quality_score: 0.9 },
  ]);

  // Next round: new traffic, one new request repeating an already-learned requirement in other words.
  const again = await seedExample(pool, { text: 'Build a REST endpoint which gives back the list of users as JSON', passRate: 1 });
  const fresh = await seedExample(pool, { text: 'Send a weekly summary email to every team lead', passRate: 0.8 });
  const second = await run(acts.selectExamples.bind(acts), { modelId: 'm' });
  assert.deepEqual(
    second.examples.map((e) => e.requestId),
    [again, members, fresh],
    'used examples are not selected again',
  );
  const dedup = await run(acts.deduplicateExamples.bind(acts), { modelId: 'm', requestIds: second.examples.map((e) => e.requestId) });
  assert.deepEqual(dedup.kept, [fresh]);
  assert.deepEqual(
    dedup.dropped.map((d) => [d.requestId, d.duplicateOf, d.against]),
    [
      [again, base, 'used'],
      [members, base, 'used'],
    ],
  );
});

test('an emergency selects up to 200 examples, a normal run 100, maxExamples overrides both', async () => {
  await seedModel(db.pool, 'busy');
  await db.pool.query(
    `WITH r AS (
       INSERT INTO inference_requests (request_id, model_id, version, input, output, latency_ms, at)
       SELECT gen_random_uuid(), 'busy', 'v1', jsonb_build_object('text', 'requirement ' || i), '{}'::jsonb, 1, now() - interval '1 hour'
       FROM generate_series(1, 250) AS i
       RETURNING request_id)
     INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance)
     SELECT request_id, 'busy', 'v1', 0.9, 0.01 FROM r`,
  );
  assert.equal((await run(acts.selectExamples.bind(acts), { modelId: 'busy' })).examples.length, 100);
  assert.equal((await run(acts.selectExamples.bind(acts), { modelId: 'busy', emergency: true })).examples.length, 200);
  assert.equal((await run(acts.selectExamples.bind(acts), { modelId: 'busy', emergency: true, maxExamples: 7 })).examples.length, 7);
  assert.deepEqual(await run(acts.countQualifyingExamples.bind(acts), { modelId: 'busy' }), { count: 250 });
});

test('pass rate of the last 6 hours against the week before it', async () => {
  await seedModel(db.pool, 'drift');
  for (const passRate of [0.2, 0.4]) await seedExample(db.pool, { modelId: 'drift', passRate, age: '1 hour' });
  for (const passRate of [1, 0.8, 0.9]) await seedExample(db.pool, { modelId: 'drift', passRate, age: '2 days' });
  await seedExample(db.pool, { modelId: 'drift', passRate: 0, age: '8 days' }); // older than both windows
  const w = await run(acts.passRateWindows.bind(acts), { modelId: 'drift' });
  assert.equal(w.recent.feedbackCount, 2);
  assert.ok(Math.abs(w.recent.passRate! - 0.3) < 1e-6);
  assert.equal(w.baseline.feedbackCount, 3);
  assert.ok(Math.abs(w.baseline.passRate! - 0.9) < 1e-6);
  assert.deepEqual(await run(acts.passRateWindows.bind(acts), { modelId: 'silent' }), {
    recent: { passRate: null, feedbackCount: 0 },
    baseline: { passRate: null, feedbackCount: 0 },
  });
});

test('bad input and unknown requests fail without retrying, naming the field', async () => {
  await assert.rejects(run(acts.selectExamples.bind(acts), { modelId: '' }), nonRetryable(/^modelId: /));
  await assert.rejects(
    run(acts.deduplicateExamples.bind(acts), { modelId: 'm', requestIds: ['not-a-uuid'] }),
    nonRetryable(/^requestIds\.0: /),
  );
  const unknown = '00000000-0000-4000-8000-000000000000';
  await assert.rejects(
    run(acts.markExamplesUsed.bind(acts), { modelId: 'm', requestIds: [unknown] }),
    nonRetryable(/^requestIds: .*00000000-0000-4000-8000-000000000000/),
  );
  await seedModel(db.pool, 'x');
  const othersRequest = await seedExample(db.pool, { modelId: 'x', passRate: 1 });
  await assert.rejects(
    run(acts.markExamplesUsed.bind(acts), { modelId: 'm', requestIds: [othersRequest] }),
    nonRetryable(/not this model's requests/),
  );
  const mine = await seedExample(db.pool, { passRate: 1 });
  await assert.rejects(
    run(acts.markExamplesUsed.bind(acts), { modelId: 'm', requestIds: [mine], trainingRunId: unknown }),
    nonRetryable(/^trainingRunId: no training run/),
  );
  const count = await db.pool.query("SELECT count(*)::int AS n FROM phase4_training_data WHERE model_id = 'm' AND request_id = $1", [
    othersRequest,
  ]);
  assert.equal(count.rows[0].n, 0);
});
