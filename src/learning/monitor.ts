import { quantile } from 'simple-statistics';
import { contractViolations, type ContractViolation } from './contract.js';
import type { RequestOutcome } from './outcomes.js';
import { findEndpoint, type RequirementsDocument } from './requirements.js';
import { compareVariants } from './variance.js';

/** The specs' monitor thresholds; a reading strictly above its threshold trips the monitor. */
export const MONITOR_THRESHOLDS = {
  error_rate: 0.01,
  latency_p99_ms: 1000,
  contract_violations: 0,
  behavioral_deviation: 0.05,
} as const;

export const INCIDENT_TYPES = ['error_rate', 'latency', 'contract_violation', 'behavioral_deviation'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export interface MonitorReading {
  type: IncidentType;
  value: number;
  threshold: number;
  tripped: boolean;
  offendingRequestIds: string[];
  /** Per offending request, what went wrong (error message, violated schema paths, differing fields). */
  details: Record<string, string[]>;
}

export interface DeploymentWindow {
  application: string;
  variant: string;
  document: RequirementsDocument;
  outcomes: readonly RequestOutcome[];
  /** The baseline variant's outcomes in the same window; absent when this deployment is the baseline. */
  baseline?: readonly RequestOutcome[];
}

export interface WindowMetrics {
  requests: number;
  errorRate: number;
  latencyP99Ms: number | null;
  /** Share of successful outputs that satisfy their response schema. */
  apiCompliance: number;
  /** 1 − behavioral deviation (1 for the baseline variant). */
  behavioralAccuracy: number;
}

export interface DeploymentEvaluation {
  application: string;
  variant: string;
  requirementsVersion: number;
  metrics: WindowMetrics;
  readings: MonitorReading[];
}

/** Runs the four monitors of one deployment over one window of its traffic. */
export function evaluateDeployment(window: DeploymentWindow): DeploymentEvaluation {
  const { outcomes, document } = window;
  const n = outcomes.length;

  const errors = outcomes.filter((o) => o.status === 'error');
  const errorRate = n === 0 ? 0 : errors.length / n;

  const latencies = outcomes.map((o) => o.latencyMs);
  const p99 = n === 0 ? null : quantile(latencies, 0.99);
  const slow = outcomes.filter((o) => o.latencyMs > MONITOR_THRESHOLDS.latency_p99_ms);

  const served = outcomes.filter((o) => o.status === 'ok');
  const violations = new Map<string, ContractViolation[]>();
  for (const o of served) {
    const endpoint = findEndpoint(document, o.endpoint);
    const found = endpoint
      ? contractViolations(endpoint.response_schema, o.output)
      : [{ path: '', keyword: 'endpoint', message: `endpoint ${o.endpoint} is not in the API specification` }];
    if (found.length > 0) violations.set(o.requestId, found);
  }

  const comparison = window.baseline ? compareVariants(window.baseline, outcomes) : undefined;
  const deviation = comparison?.differenceRate ?? 0;

  const readings: MonitorReading[] = [
    {
      type: 'error_rate',
      value: errorRate,
      threshold: MONITOR_THRESHOLDS.error_rate,
      tripped: errorRate > MONITOR_THRESHOLDS.error_rate,
      offendingRequestIds: errors.map((o) => o.requestId),
      details: Object.fromEntries(errors.map((o) => [o.requestId, [o.error ?? 'failed']])),
    },
    {
      type: 'latency',
      value: p99 ?? 0,
      threshold: MONITOR_THRESHOLDS.latency_p99_ms,
      tripped: p99 !== null && p99 > MONITOR_THRESHOLDS.latency_p99_ms,
      offendingRequestIds: slow.map((o) => o.requestId),
      details: Object.fromEntries(slow.map((o) => [o.requestId, [`${Math.round(o.latencyMs)} ms`]])),
    },
    {
      type: 'contract_violation',
      value: violations.size,
      threshold: MONITOR_THRESHOLDS.contract_violations,
      tripped: violations.size > MONITOR_THRESHOLDS.contract_violations,
      offendingRequestIds: [...violations.keys()],
      details: Object.fromEntries([...violations].map(([id, v]) => [id, v.map((x) => `${x.path}|${x.keyword}|${x.message}`)])),
    },
  ];
  if (comparison) {
    readings.push({
      type: 'behavioral_deviation',
      value: deviation,
      threshold: MONITOR_THRESHOLDS.behavioral_deviation,
      tripped: deviation > MONITOR_THRESHOLDS.behavioral_deviation,
      offendingRequestIds: comparison.differing.map((d) => d.requestId),
      details: Object.fromEntries(comparison.differing.map((d) => [d.requestId, d.fields])),
    });
  }
  return {
    application: window.application,
    variant: window.variant,
    requirementsVersion: document.version,
    metrics: {
      requests: n,
      errorRate,
      latencyP99Ms: p99,
      apiCompliance: served.length === 0 ? 1 : 1 - violations.size / served.length,
      behavioralAccuracy: 1 - deviation,
    },
    readings,
  };
}

/** An incident as the `incidents` table holds it; `key` makes opening it idempotent. */
export interface Incident {
  key: string;
  application: string;
  variant: string;
  requirementsVersion: number;
  type: IncidentType;
  value: number;
  threshold: number;
  requestIds: string[];
  details: Record<string, string[]>;
}

/** One incident per tripped monitor; `keyPrefix` (cycle and check) keeps a re-evaluated window from opening twice. */
export function incidentsFrom(evaluation: DeploymentEvaluation, keyPrefix: string): Incident[] {
  return evaluation.readings
    .filter((r) => r.tripped)
    .map((r) => ({
      key: `${keyPrefix}/${evaluation.application}/${evaluation.variant}/${r.type}`,
      application: evaluation.application,
      variant: evaluation.variant,
      requirementsVersion: evaluation.requirementsVersion,
      type: r.type,
      value: r.value,
      threshold: r.threshold,
      requestIds: r.offendingRequestIds,
      details: r.details,
    }));
}
