import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RowTable, WriterObserver } from './batch-writer.js';
import type { Target } from './routing-table.js';

/** The per-version series one request touches, resolved once per version instead of hashing labels per request. */
export interface TargetSeries {
  ok: Counter.Internal;
  error: Counter.Internal;
  latencySeconds: Histogram.Internal<'model' | 'version'>;
  feedback: Counter.Internal;
}

export interface RouterMetrics {
  registry: Registry;
  series(target: Target): TargetSeries;
  /** Requests answered 503 because the row buffer was full, and feedback answered 503 because it could not be committed. */
  refused: Counter;
  /** The learning cycle's applications: each variant's answers, live or in shadow, by status. */
  applicationAnswers: Counter<'application' | 'variant' | 'status' | 'served'>;
  writer: WriterObserver;
}

/** `buffer` is read at scrape time (the batch writer, created after the metrics it reports to). */
export function createRouterMetrics(buffer: () => { readonly buffered: number; readonly bufferedBytes: number }): RouterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'learnloop_router_' });
  const requests = new Counter({
    name: 'learnloop_inference_requests_total',
    help: 'Inference requests by model, serving version and outcome (ok|error).',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'learnloop_inference_latency_seconds',
    help: 'Model latency per request, by model and version.',
    labelNames: ['model', 'version'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const feedback = new Counter({
    name: 'learnloop_feedback_total',
    help: 'Feedback rows committed and acknowledged, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'learnloop_router_refused_total',
    help: 'Requests answered 503 because the row buffer was full, and feedback answered 503 because it could not be committed (the database is down or slow).',
    registers: [registry],
  });
  const applicationAnswers = new Counter({
    name: 'learnloop_application_answers_total',
    help: 'Answers of the applications deployed by learning cycles, by variant, status (ok|handled_error|error) and served (live|shadow).',
    labelNames: ['application', 'variant', 'status', 'served'] as const,
    registers: [registry],
  });
  const writeFailures = new Counter({
    name: 'learnloop_router_batch_write_failures_total',
    help: 'Batch writes that failed and were kept for retry.',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'learnloop_router_rows_rejected_total',
    help: 'Rows the database refused on their own merits (logged in full at error level).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'learnloop_router_buffered_rows',
    help: 'Request and feedback rows accepted but not yet written to PostgreSQL.',
    registers: [registry],
    collect() {
      this.set(buffer().buffered);
    },
  });
  new Gauge({
    name: 'learnloop_router_buffered_bytes',
    help: 'Estimated memory held by the buffered rows.',
    registers: [registry],
    collect() {
      this.set(buffer().bufferedBytes);
    },
  });

  const byTarget = new WeakMap<Target, TargetSeries>();
  return {
    registry,
    series(target) {
      let s = byTarget.get(target);
      if (!s) {
        const { modelId: model, version } = target;
        s = {
          ok: requests.labels({ model, version, outcome: 'ok' }),
          error: requests.labels({ model, version, outcome: 'error' }),
          latencySeconds: latency.labels({ model, version }),
          feedback: feedback.labels({ model, version }),
        };
        byTarget.set(target, s);
      }
      return s;
    },
    refused,
    applicationAnswers,
    writer: {
      writeFailed: () => {
        writeFailures.inc();
      },
      rowsRejected: (table: RowTable, count: number) => {
        rejected.inc({ table }, count);
      },
    },
  };
}
