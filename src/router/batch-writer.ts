import { insertFeedback, insertInferenceRequests, type FeedbackRecord, type InferenceRequestRecord } from '../db/inference-requests.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { Prediction, PredictionInput } from '../models/predictor.js';
import { defined } from '../platform/defined.js';

/** An inference_requests row, with the input and output the router's models take and give. */
export interface RequestRow extends InferenceRequestRecord {
  input: PredictionInput;
  output: Prediction | null;
}

export type FeedbackRow = FeedbackRecord;

export type RowTable = 'inference_requests' | 'feedback';

/** What the writer reports to metrics. */
export interface WriterObserver {
  writeFailed(): void;
  rowsRejected(table: RowTable, count: number): void;
}

export interface BatchWriterOptions {
  pool: Pool;
  logger: Logger;
  /** Rows (requests + feedback) held at most while PostgreSQL is slow or down; past it offer*() refuses. */
  maxBufferedRows: number;
  /** The same bound in (estimated) bytes, for inputs far larger than usual. */
  maxBufferedBytes: number;
  /** Rows per INSERT; this many waiting starts a write without waiting for the interval. */
  batchRows: number;
  flushIntervalMs: number;
  /** Longest wait between retries while the database is failing (the wait doubles from 100 ms up to this). */
  maxBackoffMs?: number;
  /**
   * When feedback is acknowledged. `commit` (the default): submitFeedback() resolves once the batch holding the row
   * has committed, and while the database is failing it refuses instead of buffering, so an acknowledged row is
   * never lost with the process. `enqueue`: it resolves as soon as the row is buffered, as inference rows are (a
   * crash loses what the buffer held); kept only so bench/feedback-durability.ts can measure what `commit` costs.
   */
  feedbackAck?: 'commit' | 'enqueue';
  /**
   * The group-commit window: a waiting feedback row has its batch written within this long (default 10 ms), so a
   * client is not kept waiting for the whole flush interval; every row waiting then goes in the same batch.
   */
  feedbackFlushMs?: number;
  /** Longest a feedback row waits for its batch to commit before the caller is told to retry (default 10 s). */
  feedbackCommitTimeoutMs?: number;
  observer?: WriterObserver;
}

/**
 * What became of a feedback row. `stored`: committed (or, acknowledging on enqueue, buffered); `refused`: the
 * database refused it on its own merits (its request was refused, say), so a retry cannot help; `unavailable`:
 * not stored and not kept (the database is failing or slow, or the buffer is full): retry after `retryAfterMs`.
 */
export type FeedbackOutcome =
  | { status: 'stored' }
  | { status: 'refused'; reason: string }
  | { status: 'unavailable'; reason: string; retryAfterMs: number };

interface PendingFeedback {
  row: FeedbackRow;
  /** How many requests had been offered when it was: it is written once that many are, so its request is there first (the FK). */
  after: number;
  /** Settles the submitter (acknowledging on commit); settling twice is harmless. */
  settle?: (outcome: FeedbackOutcome) => void;
}

/** JS strings are UTF-16; the constants cover the row object, its uuid and name strings, and array slots. */
function requestBytes(r: RequestRow): number {
  return (
    450 +
    2 * (r.input.text.length + (r.userKey?.length ?? 0) + (r.error?.length ?? 0) + (r.contextId?.length ?? 0)) +
    16 * (r.output?.probabilities.length ?? 0)
  );
}
function feedbackBytes(f: FeedbackRow): number {
  return 250 + 2 * (f.error?.length ?? 0);
}

/**
 * A row the database refuses whatever we do (bad data, a violated constraint), as opposed to an outage:
 * it must not block the rows behind it.
 */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return err instanceof TypeError || (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23')));
}

/**
 * Writes request and feedback rows in batches. Every insert is ON CONFLICT DO NOTHING, so a batch that committed
 * but whose answer was lost lands once when retried.
 *
 * Inference rows are written off the hot path: while the database fails they stay buffered and writes are retried
 * with backoff; when the buffer is full, offerRequest() says no and the router answers 503 rather than accept a
 * row it might lose. Feedback is group-committed: submitFeedback() resolves when the batch holding its row has
 * committed (batches still go every flushIntervalMs, or at once when batchRows wait), after the requests it may
 * refer to; while the database fails, feedback is refused rather than held in memory, so an acknowledged feedback
 * row survives the router being killed. A row the database refuses on its own merits is logged in full at error
 * level and counted, so one bad row cannot wedge the rows behind it.
 */
export class BatchWriter {
  private readonly requests: RequestRow[] = [];
  private readonly feedback: PendingFeedback[] = [];
  private requestsOffered = 0;
  private requestsDone = 0;
  private bytes = 0;
  private flushing?: Promise<void>;
  private flushScheduled = false;
  private readonly timer: NodeJS.Timeout;
  private feedbackTimer?: NodeJS.Timeout;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private readonly ackOnCommit: boolean;

  constructor(private readonly opts: BatchWriterOptions) {
    this.ackOnCommit = (opts.feedbackAck ?? 'commit') === 'commit';
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs);
    this.timer.unref();
  }

  get buffered(): number {
    return this.requests.length + this.feedback.length;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Whether a new row would be accepted now; the router asks before running the model. */
  hasRoom(): boolean {
    return this.buffered < this.opts.maxBufferedRows && this.bytes < this.opts.maxBufferedBytes;
  }

  offerRequest(row: RequestRow): boolean {
    if (!this.hasRoom()) return false;
    this.requests.push(row);
    this.requestsOffered++;
    this.bytes += requestBytes(row);
    if (this.requests.length >= this.opts.batchRows) this.scheduleFlush();
    return true;
  }

  /**
   * Stores a feedback row after the requests offered before it. Acknowledging on commit (the default), resolves
   * once its batch has committed; while the database is failing (a write failed and the retry is not due yet)
   * or the row waits longer than feedbackCommitTimeoutMs, resolves `unavailable` at once instead of holding it.
   */
  submitFeedback(row: FeedbackRow): Promise<FeedbackOutcome> {
    if (this.closed) return Promise.resolve({ status: 'unavailable', reason: 'the router is shutting down', retryAfterMs: 1_000 });
    if (this.ackOnCommit && Date.now() < this.retryAt) {
      return Promise.resolve({ status: 'unavailable', reason: 'the database is unavailable', retryAfterMs: this.retryAt - Date.now() });
    }
    if (!this.hasRoom()) {
      return Promise.resolve({
        status: 'unavailable',
        reason: 'the row buffer is full (the database is slow or unavailable)',
        retryAfterMs: 1_000,
      });
    }
    const pending: PendingFeedback = { row, after: this.requestsOffered };
    this.feedback.push(pending);
    this.bytes += feedbackBytes(row);
    if (this.feedback.length >= this.opts.batchRows) this.scheduleFlush();
    if (!this.ackOnCommit) return Promise.resolve({ status: 'stored' });
    this.scheduleFeedbackFlush();
    return new Promise<FeedbackOutcome>((resolve) => {
      const timeoutMs = this.opts.feedbackCommitTimeoutMs ?? 10_000;
      // Past it the row may still commit (it stays queued); a client told to retry lands once (ON CONFLICT).
      const timer = setTimeout(() => {
        // settle clears this timer, so it is still set whenever the timer fires
        defined(
          pending.settle,
          'settle of the pending feedback',
        )({
          status: 'unavailable',
          reason: `the database did not commit the row within ${timeoutMs} ms`,
          retryAfterMs: 1_000,
        });
      }, timeoutMs);
      pending.settle = (outcome) => {
        clearTimeout(timer);
        pending.settle = undefined;
        resolve(outcome);
      };
    });
  }

  /** Writes what is buffered now; resolves when the attempt ended (rows stay buffered if it failed). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffered === 0 || Date.now() < this.retryAt) return Promise.resolve();
    this.flushing = this.writeBuffered().finally(() => {
      this.flushing = undefined;
      // Feedback that arrived while this batch was being written gets a window of its own.
      if (this.ackOnCommit && this.feedback.length > 0) this.scheduleFeedbackFlush();
    });
    return this.flushing;
  }

  /** Flushes until empty, retrying through a failing database until `timeoutMs` has passed. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered > 0 && Date.now() < deadline) {
      this.retryAt = 0;
      await this.flush();
      if (this.buffered > 0) await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(timeoutMs?: number): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.feedbackTimer);
    this.closed = true;
    await this.drain(timeoutMs);
    this.dropFeedback('the router stopped before the database took the row');
    if (this.buffered > 0) {
      this.opts.logger.error(
        { unwrittenRequests: this.requests.length, unwrittenFeedback: this.feedback.length },
        'router stopped with rows the database did not take',
      );
    }
  }

  /** A flush within the group-commit window, unless one is due or running (its end schedules the next). */
  private scheduleFeedbackFlush(): void {
    if (this.feedbackTimer || this.flushing || this.closed) return;
    this.feedbackTimer = setTimeout(() => {
      this.feedbackTimer = undefined;
      void this.flush();
    }, this.opts.feedbackFlushMs ?? 10);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    // Not in the offering request's own tick: building a batch's parameters would add to its latency.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async writeBuffered(): Promise<void> {
    try {
      // Only the requests buffered now: under sustained load a flush still ends, and feedback gets its turn.
      let requests = this.requests.length;
      while (requests > 0) requests -= await this.writeRequests(Math.min(requests, this.opts.batchRows));
      let ready = 0;
      while (ready < this.feedback.length && defined(this.feedback[ready], 'buffered feedback').after <= this.requestsDone) ready++;
      while (ready > 0) ready -= await this.writeFeedback(Math.min(ready, this.opts.batchRows));
      if (this.failures > 0) this.opts.logger.info({ afterFailures: this.failures }, 'batch writes recovered');
      this.failures = 0;
    } catch (err) {
      this.failures++;
      const waitMs = Math.min(this.opts.maxBackoffMs ?? 5_000, 100 * 2 ** (this.failures - 1));
      this.retryAt = Date.now() + waitMs;
      this.opts.observer?.writeFailed();
      // Feedback is not held through an outage: its submitters are told to retry (a row whose batch did commit
      // after all lands once when resent).
      const dropped = this.ackOnCommit ? this.dropFeedback('the database is unavailable', waitMs) : 0;
      this.opts.logger.warn(
        { err: (err as Error).message, buffered: this.buffered, feedbackRefused: dropped, failures: this.failures, retryInMs: waitMs },
        this.ackOnCommit ? 'batch write failed; requests kept for retry, feedback refused' : 'batch write failed; rows kept for retry',
      );
    }
  }

  /** Acknowledging on commit: empties the feedback queue, telling each waiting submitter to retry. Returns how many. */
  private dropFeedback(reason: string, retryAfterMs = 1_000): number {
    if (!this.ackOnCommit) return 0;
    const dropped = this.feedback.splice(0);
    for (const f of dropped) {
      this.bytes -= feedbackBytes(f.row);
      f.settle?.({ status: 'unavailable', reason, retryAfterMs });
    }
    return dropped.length;
  }

  /** Writes the first n buffered requests and removes them; returns n. Throws (keeping them) on an outage. */
  private async writeRequests(n: number): Promise<number> {
    const rows = this.requests.slice(0, n);
    const rejected = await this.insert('inference_requests', rows, insertInferenceRequests);
    this.requests.splice(0, n);
    this.requestsDone += n;
    for (const r of rows) this.bytes -= requestBytes(r);
    if (rejected > 0) this.opts.observer?.rowsRejected('inference_requests', rejected);
    return n;
  }

  private async writeFeedback(n: number): Promise<number> {
    const pending = this.feedback.slice(0, n);
    const refused = new Map<number, string>();
    await this.insert(
      'feedback',
      pending.map((f) => f.row),
      insertFeedback,
      (i, reason) => refused.set(i, reason),
    );
    // Still the queue's head: only a failed write (this one throwing) or close() after the last flush empties it.
    this.feedback.splice(0, n);
    pending.forEach((f, i) => {
      this.bytes -= feedbackBytes(f.row);
      const reason = refused.get(i);
      f.settle?.(reason === undefined ? { status: 'stored' } : { status: 'refused', reason });
    });
    if (refused.size > 0) this.opts.observer?.rowsRejected('feedback', refused.size);
    return n;
  }

  /**
   * One multi-row INSERT; when the database refuses the batch for a row's sake, the rows are retried one by
   * one and the refused ones are logged and skipped (and reported to `onRefused`). Returns how many were refused.
   */
  private async insert<R>(
    table: RowTable,
    rows: readonly R[],
    write: (pool: Pool, rows: readonly R[]) => Promise<void>,
    onRefused?: (index: number, reason: string) => void,
  ): Promise<number> {
    try {
      await write(this.opts.pool, rows);
      return 0;
    } catch (err) {
      if (!isRowError(err)) throw err;
    }
    let rejected = 0;
    for (const [i, row] of rows.entries()) {
      try {
        await write(this.opts.pool, [row]);
      } catch (err) {
        if (!isRowError(err)) throw err;
        rejected++;
        onRefused?.(i, (err as Error).message);
        this.opts.logger.error({ table, row, err: (err as Error).message }, 'the database refused a row; it is logged here instead');
      }
    }
    return rejected;
  }
}
