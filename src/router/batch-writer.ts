import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import type { Logger } from '../log.js';

export interface RequestRow {
  requestId: string;
  modelId: string;
  version: string;
  userKey: string | null;
  input: unknown;
  output: unknown;
  latencyMs: number;
  error: string | null;
  at: Date;
}

export interface FeedbackRow {
  requestId: string;
  modelId: string;
  version: string;
  testPassRate: number;
  implementationVariance: number;
  latencyMs: number | null;
  error: string | null;
  at: Date;
}

export interface BatchWriterOptions {
  pool: Pool;
  logger: Logger;
  /** Rows held in memory at most (requests + feedback) while the database is slow or down. */
  maxBuffered?: number;
  flushIntervalMs?: number;
  maxBatch?: number;
}

/**
 * Writes request and feedback rows in batches off the hot path. A failed batch stays buffered and is retried with
 * backoff (inserts are ON CONFLICT DO NOTHING, so a batch that committed but whose answer was lost lands once);
 * when the buffer is full, `offer*` says no and the router answers 503 instead of dropping an accepted row.
 */
export class BatchWriter {
  private requests: RequestRow[] = [];
  private feedback: FeedbackRow[] = [];
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private nextAttemptAt = 0;
  readonly maxBuffered: number;
  private readonly maxBatch: number;

  constructor(private readonly opts: BatchWriterOptions) {
    this.maxBuffered = opts.maxBuffered ?? 100_000;
    this.maxBatch = opts.maxBatch ?? 1_000;
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  get buffered(): number {
    return this.requests.length + this.feedback.length;
  }

  offerRequest(row: RequestRow): boolean {
    if (this.buffered >= this.maxBuffered) return false;
    this.requests.push(row);
    return true;
  }

  offerFeedback(row: FeedbackRow): boolean {
    if (this.buffered >= this.maxBuffered) return false;
    this.feedback.push(row);
    return true;
  }

  /** Writes what is buffered now; resolves once a flush attempt ended (rows stay buffered if it failed). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffered === 0 || Date.now() < this.nextAttemptAt) return Promise.resolve();
    this.flushing = this.writeBatch().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Flushes until empty, retrying through outages until `timeoutMs`. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered > 0 && Date.now() < deadline) {
      this.nextAttemptAt = Math.min(this.nextAttemptAt, Date.now());
      await this.flush();
      if (this.buffered > 0) await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
    if (this.buffered > 0) this.opts.logger.error({ lost: this.buffered }, 'router closed with rows it could not write');
  }

  private async writeBatch(): Promise<void> {
    // Requests go first: feedback rows reference them.
    const requests = this.requests.slice(0, this.maxBatch);
    const feedback = this.feedback.slice(0, this.maxBatch);
    try {
      await withTransaction(this.opts.pool, async (c) => {
        if (requests.length > 0) {
          await c.query(
            `INSERT INTO inference_requests (request_id, model_id, version, user_key, input, output, latency_ms, error, at)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::real[], $8::text[], $9::timestamptz[])
             ON CONFLICT (request_id) DO NOTHING`,
            [
              requests.map((r) => r.requestId),
              requests.map((r) => r.modelId),
              requests.map((r) => r.version),
              requests.map((r) => r.userKey),
              requests.map((r) => JSON.stringify(r.input)),
              requests.map((r) => (r.output === undefined ? null : JSON.stringify(r.output))),
              requests.map((r) => r.latencyMs),
              requests.map((r) => r.error),
              requests.map((r) => r.at),
            ],
          );
        }
        if (feedback.length > 0) {
          await c.query(
            `INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance, latency_ms, error, at)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::real[], $5::real[], $6::real[], $7::text[], $8::timestamptz[])
             ON CONFLICT (request_id) DO NOTHING`,
            [
              feedback.map((f) => f.requestId),
              feedback.map((f) => f.modelId),
              feedback.map((f) => f.version),
              feedback.map((f) => f.testPassRate),
              feedback.map((f) => f.implementationVariance),
              feedback.map((f) => f.latencyMs),
              feedback.map((f) => f.error),
              feedback.map((f) => f.at),
            ],
          );
        }
      });
      this.requests.splice(0, requests.length);
      this.feedback.splice(0, feedback.length);
      if (this.failures > 0) this.opts.logger.info({ afterFailures: this.failures }, 'batch writes recovered');
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.nextAttemptAt = Date.now() + Math.min(5_000, 100 * 2 ** this.failures);
      this.opts.logger.warn({ err: (err as Error).message, buffered: this.buffered, failures: this.failures }, 'batch write failed; rows kept for retry');
    }
  }
}
