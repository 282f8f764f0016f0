import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RouterMetrics {
  registry: Registry;
  requests: Counter<'model' | 'version' | 'outcome'>;
  latency: Histogram<'model' | 'version'>;
  feedback: Counter<'model' | 'version'>;
  buffered: Gauge;
}

export function createRouterMetrics(bufferedRows: () => number): RouterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'learnloop_router_' });
  return {
    registry,
    requests: new Counter({
      name: 'learnloop_inference_requests_total',
      help: 'Inference requests by model, serving version and outcome (ok|error).',
      labelNames: ['model', 'version', 'outcome'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'learnloop_inference_latency_seconds',
      help: 'Model latency per request, by model and version.',
      labelNames: ['model', 'version'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    feedback: new Counter({
      name: 'learnloop_feedback_total',
      help: 'Feedback rows accepted, by model and version.',
      labelNames: ['model', 'version'],
      registers: [registry],
    }),
    buffered: new Gauge({
      name: 'learnloop_router_buffered_rows',
      help: 'Request and feedback rows accepted but not yet written to PostgreSQL.',
      registers: [registry],
      collect() {
        this.set(bufferedRows());
      },
    }),
  };
}
