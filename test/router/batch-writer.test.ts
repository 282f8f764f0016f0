import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '../../src/log.js';
import { BatchWriter, type BatchWriterOptions, type FeedbackRow, type RequestRow } from '../../src/router/batch-writer.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

let db: ThrowawayDatabase;
let admin: pg.Client;
before(async () => {
  db = await throwawayDatabase();
  admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
});
after(async () => {
  await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS true`).catch(() => undefined);
  await admin.end();
  await db.drop();
});

const request = (requestId = randomUUID(), over: Partial<RequestRow> = {}): RequestRow => ({
  requestId,
  modelId: 'm',
  version: 'v1',
  userKey: null,
  input: { text: 'x' },
  output: { label: 'y', confidence: 1, probabilities: [1] },
  latencyMs: 1,
  error: null,
  at: Date.now(),
  ...over,
});
const feedback = (requestId: string): FeedbackRow => ({
  requestId,
  modelId: 'm',
  version: 'v1',
  testPassRate: 1,
  implementationVariance: 0,
  latencyMs: null,
  error: null,
  at: Date.now(),
});

function writer(over: Partial<BatchWriterOptions> = {}) {
  const events = { failed: 0, rejected: 0 };
  const w = new BatchWriter({
    pool: db.pool,
    logger: createLogger({ level: 'silent' }),
    maxBufferedRows: 10_000,
    maxBufferedBytes: 64 << 20,
    batchRows: 1_000,
    flushIntervalMs: 60_000,
    observer: { writeFailed: () => events.failed++, rowsRejected: (_t, n) => (events.rejected += n) },
    ...over,
  });
  return { w, events };
}

const count = async (table: string, ids: string[]) =>
  (await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE request_id = ANY($1::uuid[])`, [ids])).rows[0].n as number;

test('through a database outage requests are kept, retried and land once; feedback is refused, not held, and lands once resent', async () => {
  const { w, events } = writer({ flushIntervalMs: 20 });
  try {
    // The outage: no new connections to the database, and the pool's open ones are cut.
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const id of ids) assert.equal(w.offerRequest(request(id)), true);
    // Feedback waits for the batch: the write fails, and it is told to retry instead of being kept.
    const during = await Promise.all(ids.slice(0, 10).map((id) => w.submitFeedback(feedback(id))));
    for (const outcome of during) {
      assert.equal(outcome.status, 'unavailable');
      assert.ok(outcome.retryAfterMs > 0);
    }
    assert.equal(w.buffered, 50, 'the requests are kept, the feedback is not');
    assert.ok(events.failed >= 1, 'the failed write is counted');
    // While the retry is not due, feedback is refused at once.
    const refusedNow = await w.submitFeedback(feedback(ids[10]!));
    assert.equal(refusedNow.status, 'unavailable');

    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS true`);
    await w.drain(15_000);
    assert.equal(w.buffered, 0);
    assert.equal(w.bufferedBytes, 0);
    assert.equal(await count('inference_requests', ids), 50);
    assert.equal(await count('feedback', ids), 0, 'no feedback was acknowledged, none is stored');
    const resent = await Promise.all(ids.slice(0, 10).map((id) => w.submitFeedback(feedback(id))));
    assert.deepEqual(
      resent.map((o) => o.status),
      Array(10).fill('stored'),
    );
    assert.equal(await count('feedback', ids), 10);
  } finally {
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS true`);
    await w.close();
  }
});

test('feedback resolves once its batch has committed, many rows in one batch, and not before', async () => {
  const { w } = writer({ flushIntervalMs: 3_600_000, feedbackFlushMs: 3_600_000 });
  const ids = Array.from({ length: 20 }, () => randomUUID());
  for (const id of ids) w.offerRequest(request(id));
  let settled = 0;
  const outcomes = ids.map((id) => w.submitFeedback(feedback(id)).then((o) => (settled++, o)));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(settled, 0, 'nothing is acknowledged before its batch is written');
  assert.equal(await count('feedback', ids), 0);
  await w.flush();
  assert.deepEqual(
    (await Promise.all(outcomes)).map((o) => o.status),
    Array(20).fill('stored'),
  );
  assert.equal(await count('feedback', ids), 20, 'every acknowledged row is committed');
  await w.close();
});

test('waiting feedback has its batch written within the group-commit window, not the flush interval, its requests first', async () => {
  const { w } = writer({ flushIntervalMs: 3_600_000, feedbackFlushMs: 20 });
  const ids = Array.from({ length: 5 }, () => randomUUID());
  for (const id of ids) w.offerRequest(request(id));
  const started = performance.now();
  const outcomes = await Promise.all(ids.map((id) => w.submitFeedback(feedback(id))));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    Array(5).fill('stored'),
  );
  assert.ok(performance.now() - started < 2_000, 'well before the hour-long flush interval');
  assert.equal(await count('inference_requests', ids), 5);
  assert.equal(await count('feedback', ids), 5);
  // One arriving while a batch is being written gets a window of its own.
  const late = randomUUID();
  w.offerRequest(request(late));
  const writing = w.flush();
  const lateOutcome = w.submitFeedback(feedback(late));
  await writing;
  assert.deepEqual(await lateOutcome, { status: 'stored' });
  await w.close();
});

test('feedback that waits too long for its batch is told to retry; the row still lands once', async () => {
  const { w } = writer({ flushIntervalMs: 3_600_000, feedbackFlushMs: 3_600_000, feedbackCommitTimeoutMs: 50 });
  const id = randomUUID();
  w.offerRequest(request(id));
  const outcome = await w.submitFeedback(feedback(id));
  assert.equal(outcome.status, 'unavailable');
  await w.drain();
  assert.equal(await count('feedback', [id]), 1, 'the row stayed queued and was written');
  const resent = w.submitFeedback(feedback(id));
  await w.flush();
  assert.deepEqual(await resent, { status: 'stored' });
  await w.close();
  assert.equal(await count('feedback', [id]), 1, 'the resent row lands once');
});

test('acknowledging on enqueue (the old behaviour, kept for the bench) resolves before the row is written', async () => {
  const { w } = writer({ feedbackAck: 'enqueue', flushIntervalMs: 3_600_000 });
  const id = randomUUID();
  w.offerRequest(request(id));
  assert.deepEqual(await w.submitFeedback(feedback(id)), { status: 'stored' });
  assert.equal(await count('feedback', [id]), 0, 'acknowledged, not yet written: a crash now would lose it');
  await w.close();
  assert.equal(await count('feedback', [id]), 1);
});

test('a row is stored as given, and a batch retried after it already committed lands once', async () => {
  const { w } = writer();
  const at = Date.parse('2026-01-02T03:04:05.678Z');
  const row = request(randomUUID(), { userKey: 'user-7', input: { text: 'Ship it "today"' }, latencyMs: 2.5, at });
  w.offerRequest(row);
  const stored = w.submitFeedback({ ...feedback(row.requestId), testPassRate: 0.75, latencyMs: 30, error: 'one test failed', at });
  await w.drain();
  assert.deepEqual(await stored, { status: 'stored' });
  w.offerRequest({ ...row, latencyMs: 99 });
  await w.drain();
  await w.close();
  const { rows } = await db.pool.query(
    'SELECT request_id, model_id, version, user_key, input, output, latency_ms, error, at FROM inference_requests WHERE request_id = $1',
    [row.requestId],
  );
  assert.deepEqual(rows, [
    {
      request_id: row.requestId,
      model_id: 'm',
      version: 'v1',
      user_key: 'user-7',
      input: { text: 'Ship it "today"' },
      output: { label: 'y', confidence: 1, probabilities: [1] },
      latency_ms: 2.5,
      error: null,
      at: new Date(at),
    },
  ]);
  const fb = await db.pool.query(
    'SELECT request_id, model_id, version, test_pass_rate, implementation_variance, latency_ms, error, at FROM feedback WHERE request_id = $1',
    [row.requestId],
  );
  assert.deepEqual(fb.rows, [
    {
      request_id: row.requestId,
      model_id: 'm',
      version: 'v1',
      test_pass_rate: 0.75,
      implementation_variance: 0,
      latency_ms: 30,
      error: 'one test failed',
      at: new Date(at),
    },
  ]);
});

test('feedback waits for its request even when the request is in a later batch', async () => {
  const { w, events } = writer({ batchRows: 2 });
  const ids = Array.from({ length: 7 }, () => randomUUID());
  for (const id of ids) w.offerRequest(request(id));
  const outcome = w.submitFeedback(feedback(ids[6]!));
  await w.drain();
  await w.close();
  assert.deepEqual(await outcome, { status: 'stored' });
  assert.equal(events.rejected, 0);
  assert.equal(await count('inference_requests', ids), 7);
  assert.equal(await count('feedback', ids), 1);
});

test('a row the database refuses is logged and skipped, and the rows around it land', async () => {
  const { w, events } = writer();
  const ids = Array.from({ length: 5 }, () => randomUUID());
  ids.forEach((id, i) => w.offerRequest(request(id, i === 2 ? { error: 'a NUL \u0000 byte PostgreSQL text cannot hold' } : {})));
  const outcomes = [w.submitFeedback(feedback(ids[2]!)), w.submitFeedback(feedback(ids[3]!))];
  await w.drain();
  await w.close();
  const [ofRefused, ofStored] = await Promise.all(outcomes);
  assert.equal(ofRefused!.status, 'refused', 'its request was refused, so the feedback cannot be stored: a retry would not help');
  assert.match(ofRefused!.reason, /foreign key/);
  assert.deepEqual(ofStored, { status: 'stored' });
  assert.equal(w.buffered, 0);
  assert.equal(events.rejected, 2, 'the bad request, and the feedback that refers to it');
  assert.equal(await count('inference_requests', ids), 4);
  assert.equal(await count('feedback', ids), 1);
});

test('a full buffer refuses new rows instead of dropping old ones, by rows and by bytes', async () => {
  const byRows = writer({ maxBufferedRows: 3 }).w;
  for (let i = 0; i < 3; i++) assert.equal(byRows.offerRequest(request()), true);
  assert.equal(byRows.hasRoom(), false);
  assert.equal(byRows.offerRequest(request()), false);
  assert.equal((await byRows.submitFeedback(feedback(randomUUID()))).status, 'unavailable');
  await byRows.drain();
  assert.equal(byRows.offerRequest(request()), true, 'room again once written');
  await byRows.close();

  // A 10,000-character input holds about 20 kB; the bound is checked before each row, so the second still fits.
  const byBytes = writer({ maxBufferedBytes: 30_000 }).w;
  const big = () => request(randomUUID(), { input: { text: 'x'.repeat(10_000) } });
  assert.equal(byBytes.offerRequest(big()), true);
  assert.equal(byBytes.offerRequest(big()), true);
  assert.equal(byBytes.offerRequest(big()), false);
  await byBytes.close();
});

test('enough waiting rows start a write without waiting for the interval', async () => {
  const { w } = writer({ batchRows: 10, flushIntervalMs: 3_600_000 });
  const ids = Array.from({ length: 10 }, () => randomUUID());
  for (const id of ids) w.offerRequest(request(id));
  for (let i = 0; i < 200 && w.buffered > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(w.buffered, 0);
  assert.equal(await count('inference_requests', ids), 10);
  await w.close();
});
