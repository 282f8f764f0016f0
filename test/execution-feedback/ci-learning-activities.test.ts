import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createExecutionFeedbackActivities } from '../../activities/execution-feedback.js';
import { loadConfig } from '../../src/config.js';
import { readImprovements } from '../../src/execution-feedback/ci-event-store.js';
import { createContext, readContext } from '../../src/execution-feedback/context-store.js';
import { ciEnvelopeSchema, feedbackFromEnvelope, feedbackFromFindings } from '../../src/execution-feedback/feedback.js';
import { listPatterns } from '../../src/execution-feedback/pattern-store.js';
import { parseSarif } from '../../src/execution-feedback/sarif.js';
import { createLogger } from '../../src/log.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

// The activities ciFeedback runs, on a fresh migrated PostgreSQL database, through Temporal's activity harness.
let db: ThrowawayDatabase;
let acts: ReturnType<typeof createExecutionFeedbackActivities>;
const quiet = { logger: new DefaultLogger('ERROR') };
const run = <A, R>(fn: (a: A) => Promise<R>, input: A): Promise<R> => new MockActivityEnvironment(undefined, quiet).run(fn, input);
const fixture = (name: string) => readFileSync(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url), 'utf8');
const envelope = (fields: Record<string, unknown>) =>
  feedbackFromEnvelope(
    ciEnvelopeSchema.parse({
      contextId: 'ctx',
      task: 'orders',
      build: { success: true, errors: [] },
      qualityGates: { passed: true, violations: [] },
      ...fields,
    }),
  );

before(async () => {
  db = await throwawayDatabase();
  acts = createExecutionFeedbackActivities({
    pool: db.pool,
    logger: createLogger({ level: 'silent' }),
    config: loadConfig({ DATABASE_URL: db.url }),
  });
  await createContext(db.pool, 'ctx', { template: 'Write it.', examples: [{ id: 'ex-1', input: 'q', output: 'a' }] }, 'test');
});
after(async () => {
  await db.drop();
});

test('each failed stage of an event is stored as its improvement record and written into the context, once', async () => {
  const feedback = envelope({
    build: { success: false, errors: ["error TS2304: Cannot find name 'fee'."] },
    qualityGates: { passed: false, violations: [{ rule: 'complexity', value: 22, threshold: 15 }] },
    deployment: { success: true, environment: 'staging' },
    productionMetrics: { errorRate: 0.01 },
  });
  await run(acts.storeCiEvent.bind(acts), { eventId: 'build-1', contextId: 'ctx', task: 'orders', kind: 'envelope', feedback });
  const first = await run(acts.processCiEvent.bind(acts), { eventId: 'build-1' });
  assert.deepEqual(first.improvements, [
    { type: 'build_failure', issues: ['build_errors'], constraintId: 'build_failure:build-1' },
    { type: 'quality_gate', issues: ['complexity'], constraintId: 'quality_gate:build-1' },
  ]);
  assert.deepEqual(first.addedConstraints, ['build_failure:build-1', 'quality_gate:build-1']);
  assert.equal(first.hasTrace, false);
  const context = await readContext(db.pool, 'ctx');
  assert.equal(context.version, 2);
  assert.deepEqual(
    context.document.constraints.map((c) => [c.id, c.kind]),
    [
      ['build_failure:build-1', 'compilation'],
      ['quality_gate:build-1', 'general'],
    ],
  );
  assert.match(context.document.constraints[1]!.text, /complexity at most 15/);
  const { rows } = await db.pool.query(
    `SELECT feedback->'deployment' AS deployment, feedback->'productionMetrics' AS metrics FROM ci_events WHERE event_id = 'build-1'`,
  );
  assert.deepEqual(
    rows[0],
    { deployment: { success: true, environment: 'staging' }, metrics: { errorRate: 0.01 } },
    'recorded with the event',
  );

  const again = await run(acts.processCiEvent.bind(acts), { eventId: 'build-1' });
  assert.deepEqual(again, { ...first, alreadyProcessed: true });
  assert.equal((await readImprovements(db.pool, 'build-1')).length, 2);
  assert.equal((await readContext(db.pool, 'ctx')).version, 2);
});

test('a lint report with no security finding still teaches the context', async () => {
  await run(acts.storeCiEvent.bind(acts), {
    eventId: 'lint-1',
    contextId: 'ctx',
    task: 'orders',
    kind: 'sarif',
    feedback: feedbackFromFindings(parseSarif(fixture('eslint.sarif'))),
  });
  const outcome = await run(acts.processCiEvent.bind(acts), { eventId: 'lint-1' });
  assert.deepEqual(
    outcome.improvements!.map((i) => [i.type, i.constraintId]),
    [['static_analysis', 'static_analysis:lint-1']],
  );
  const [stored] = await readImprovements(db.pool, 'lint-1');
  assert.equal(stored!.evidence.length, 4);
  assert.match((await readContext(db.pool, 'ctx')).document.constraints.at(-1)!.text, /no-undef/);
});

test('debugging step: a fix that came with its trace is learned; the same error failing a later run is charged a recurrence and its fix recommended into the context', async () => {
  const fixed = envelope({
    debugging: {
      trace: fixture('trace-python-7.txt'),
      fix: {
        caseId: 'PR-7',
        fixType: 'input-validation',
        contextChange: { constraint: 'Check that an order id exists before reading it.' },
      },
    },
  });
  await run(acts.storeCiEvent.bind(acts), { eventId: 'fix-1', contextId: 'ctx', task: 'orders', kind: 'envelope', feedback: fixed });
  assert.equal((await run(acts.processCiEvent.bind(acts), { eventId: 'fix-1' })).hasTrace, true);
  const learned = await run(acts.debugCiFailure.bind(acts), { eventId: 'fix-1' });
  assert.deepEqual(
    { ...learned, signature: undefined },
    {
      outcome: 'learned',
      fixType: 'input-validation',
      confidence: null,
      recurrences: 0,
      contextVersion: null,
      signature: undefined,
      alreadyRun: false,
    },
  );
  const [pattern] = await listPatterns(db.pool, { language: 'python' });
  assert.deepEqual([pattern!.cases, pattern!.applied, pattern!.recurred], [['PR-7'], 1, 0]);

  const failing = envelope({ build: { success: true, errors: [] }, debugging: { trace: fixture('trace-python-42.txt') } });
  await run(acts.storeCiEvent.bind(acts), {
    eventId: 'run-42',
    contextId: 'ctx',
    task: 'orders',
    kind: 'envelope',
    feedback: { ...failing, tests: { run: 4, passed: 3 } },
  });
  const processed = await run(acts.processCiEvent.bind(acts), { eventId: 'run-42' });
  const versionAfterEvent = processed.toVersion;
  const debugged = await run(acts.debugCiFailure.bind(acts), { eventId: 'run-42' });
  assert.equal(debugged!.outcome, 'recommended');
  assert.equal(debugged!.fixType, 'input-validation');
  assert.equal(debugged!.recurrences, 1, 'the fix learned from PR-7 did not prevent this');
  assert.ok(debugged!.confidence! > 0.7);
  assert.equal(debugged!.contextVersion, versionAfterEvent + 1);
  const context = await readContext(db.pool, 'ctx');
  const guidance = context.document.constraints.find((c) => c.id === 'debug:run-42')!;
  assert.match(
    guidance.text,
    /^KeyError at failing\.py:find_order .* was fixed by input-validation in 1 case\(s\)\. Check that an order id exists before reading it\.$/,
  );
  const [charged] = await listPatterns(db.pool, { language: 'python' });
  assert.deepEqual([charged!.applied, charged!.recurred], [1, 1]);

  const retried = await run(acts.debugCiFailure.bind(acts), { eventId: 'run-42' });
  assert.deepEqual(retried, { ...debugged, alreadyRun: true });
  assert.equal((await readContext(db.pool, 'ctx')).version, context.version, 'a retried step writes nothing again');
  const [stillOnce] = await listPatterns(db.pool, { language: 'python' });
  assert.equal(stillOnce!.recurred, 1);
  const { rows } = await db.pool.query(`SELECT outcome, steps FROM debugging_sessions WHERE session_id = 'run-42'`);
  assert.deepEqual(
    rows[0].steps.map((s: { step: string }) => s.step),
    ['error_analysis', 'pattern_match'],
  );
});

test('debugging step: an unknown error is left for manual investigation; an event without a trace has no session', async () => {
  const unknown = envelope({ debugging: { trace: fixture('trace-java-7.txt') } });
  await run(acts.storeCiEvent.bind(acts), { eventId: 'java-1', contextId: 'ctx', task: 'orders', kind: 'envelope', feedback: unknown });
  const before = (await readContext(db.pool, 'ctx')).version;
  const session = await run(acts.debugCiFailure.bind(acts), { eventId: 'java-1' });
  assert.deepEqual([session!.outcome, session!.fixType, session!.contextVersion], ['no_pattern', null, null]);
  assert.equal((await readContext(db.pool, 'ctx')).version, before);
  assert.equal(await run(acts.debugCiFailure.bind(acts), { eventId: 'build-1' }), null);
  await assert.rejects(
    run(acts.debugCiFailure.bind(acts), { eventId: 'never-stored' }),
    (err) => err instanceof ApplicationFailure && err.nonRetryable,
  );
});
