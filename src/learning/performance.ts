import { defined } from '../platform/defined.js';
import type { WindowMetrics } from './monitor.js';

/** Requirements whose reliability score is under this are problematic. */
export const PROBLEMATIC_RELIABILITY = 0.6;
/** The tracker scores the most recent outcomes only. */
export const RELIABILITY_WINDOW = 10;
/** Spec 000's `compute_reliability_score` weights. */
export const RELIABILITY_WEIGHTS = { incidents: 0.3, errors: 0.25, apiCompliance: 0.25, behavioralAccuracy: 0.2 } as const;
/** Mean incidents per outcome at which the incident score reaches 0 (spec 000: `/ 5.0`). */
export const INCIDENTS_FOR_ZERO_SCORE = 5;

/** One monitoring window of one deployment of a requirements version. */
export interface DeploymentOutcome extends Pick<WindowMetrics, 'errorRate' | 'apiCompliance' | 'behavioralAccuracy'> {
  incidents: number;
}

export interface Reliability {
  score: number;
  incidentScore: number;
  errorScore: number;
  apiCompliance: number;
  behavioralAccuracy: number;
  outcomes: number;
  problematic: boolean;
}

/**
 * 0.3 · incident score + 0.25 · error score + 0.25 · API compliance + 0.2 · behavioral accuracy over the last 10
 * outcomes, incident score = 1 − min(1, mean incidents / 5), error score = 1 − mean error rate.
 */
export function reliabilityScore(history: readonly DeploymentOutcome[]): Reliability {
  const recent = history.slice(-RELIABILITY_WINDOW);
  if (recent.length === 0) {
    return { score: 1, incidentScore: 1, errorScore: 1, apiCompliance: 1, behavioralAccuracy: 1, outcomes: 0, problematic: false };
  }
  const mean = (f: (o: DeploymentOutcome) => number) => recent.reduce((s, o) => s + f(o), 0) / recent.length;
  const incidentScore = 1 - Math.min(1, mean((o) => o.incidents) / INCIDENTS_FOR_ZERO_SCORE);
  const errorScore = 1 - mean((o) => o.errorRate);
  const apiCompliance = mean((o) => o.apiCompliance);
  const behavioralAccuracy = mean((o) => o.behavioralAccuracy);
  const w = RELIABILITY_WEIGHTS;
  const score =
    w.incidents * incidentScore + w.errors * errorScore + w.apiCompliance * apiCompliance + w.behavioralAccuracy * behavioralAccuracy;
  return {
    score,
    incidentScore,
    errorScore,
    apiCompliance,
    behavioralAccuracy,
    outcomes: recent.length,
    problematic: score < PROBLEMATIC_RELIABILITY,
  };
}

/** One monitoring check of one deployment, as `learning_checks` holds it. */
export interface CheckRecord {
  application: string;
  /** The requirements version deployed. */
  version: number;
  incidents: number;
  metrics: Pick<WindowMetrics, 'errorRate' | 'apiCompliance' | 'behavioralAccuracy'>;
}

/** The tracker's score per requirements version (application@version), over that version's checks in order. */
export function reliabilityByRequirement(checks: readonly CheckRecord[]): ({ application: string; version: number } & Reliability)[] {
  const byRequirement = new Map<string, CheckRecord[]>();
  for (const c of checks) {
    const key = `${c.application}@${c.version}`;
    byRequirement.set(key, [...(byRequirement.get(key) ?? []), c]);
  }
  return [...byRequirement.values()].map((rows) => {
    const { application, version } = defined(rows[0], "a requirements version's first check");
    return { application, version, ...reliabilityScore(rows.map((r) => ({ incidents: r.incidents, ...r.metrics }))) };
  });
}
