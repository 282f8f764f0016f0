import { exceeds } from './compare.js';
import type { VersionMetrics } from './metrics.js';
import { accumulateWindow, testPassRateDrop, type SequentialConfig, type SequentialEvidence, type SequentialState } from './sequential.js';
import type { Thresholds } from './thresholds.js';

export type CheckDecision = 'pass' | 'fail' | 'insufficient_data';

export type CheckRule = 'minPassRate' | 'maxVariance' | 'maxErrorRate' | 'maxPassRateDrop' | 'maxVarianceRatio' | 'maxLatencyP95Ratio';

export interface CheckInput {
  /** The candidate over this check's window. */
  candidate: VersionMetrics;
  /** The baseline over the same window; null when the model has no baseline version to compare with. */
  baseline: VersionMetrics | null;
  thresholds: Thresholds;
  /** A window with fewer candidate feedback rows decides nothing; a baseline with fewer is not compared with. */
  minSamples: number;
  sequential: { config: SequentialConfig; state: SequentialState };
  /**
   * The rows new since the previous check, which the sequential test folds in: the check's window (the last hour)
   * overlaps the previous checks' windows, and a row counted twice would count as evidence twice. Absent: the
   * check's window is itself only the new rows (the rollouts started before the one-hour window).
   */
  sinceLastCheck?: { candidate: VersionMetrics; baseline: VersionMetrics | null };
}

export interface CheckResult {
  decision: CheckDecision;
  /**
   * Operator-readable: for a failed check the rules it broke ("candidate pass rate 0.620 < 0.700"), for
   * insufficient data what was missing, for a pass what could not be compared (empty when everything was).
   */
  reasons: string[];
  /** The thresholds behind a failed check, one per broken rule (empty unless the decision is "fail"). */
  failedRules: CheckRule[];
  /** The state to hand to the next check: this window folded in, whatever the decision. */
  sequentialState: SequentialState;
  /** The sequential test after this window; null when it is disabled or no window compared both versions yet. */
  sequentialEvidence: SequentialEvidence | null;
}

const rate = (x: number): string => x.toFixed(3);
const points = (x: number): string => (100 * x).toFixed(1);
const likelihoodRatio = (log: number): string => (log > 690 ? '> 1e300' : Math.exp(log).toPrecision(3));

interface Finding {
  rule: CheckRule;
  reason: string;
}

function absoluteFindings(candidate: VersionMetrics, t: Thresholds): Finding[] {
  const found: Finding[] = [];
  if (exceeds(t.minPassRate, candidate.passRate)) {
    found.push({ rule: 'minPassRate', reason: `candidate pass rate ${rate(candidate.passRate)} < ${rate(t.minPassRate)}` });
  }
  if (exceeds(candidate.variance, t.maxVariance)) {
    found.push({ rule: 'maxVariance', reason: `candidate implementation variance ${rate(candidate.variance)} > ${rate(t.maxVariance)}` });
  }
  if (exceeds(candidate.errorRate, t.maxErrorRate)) {
    found.push({ rule: 'maxErrorRate', reason: `candidate error rate ${rate(candidate.errorRate)} > ${rate(t.maxErrorRate)}` });
  }
  return found;
}

/** Variance and latency against the baseline in this window; the pass-rate drop is judged apart. */
function ratioFindings(candidate: VersionMetrics, baseline: VersionMetrics, t: Thresholds): Finding[] {
  const found: Finding[] = [];
  if (exceeds(candidate.variance, t.maxVarianceRatio * baseline.variance)) {
    found.push({
      rule: 'maxVarianceRatio',
      reason: `candidate implementation variance ${rate(candidate.variance)} > ${t.maxVarianceRatio} × baseline ${rate(baseline.variance)}`,
    });
  }
  if (
    candidate.latencyP95Ms !== null &&
    baseline.latencyP95Ms !== null &&
    exceeds(candidate.latencyP95Ms, t.maxLatencyP95Ratio * baseline.latencyP95Ms)
  ) {
    found.push({
      rule: 'maxLatencyP95Ratio',
      reason: `candidate latency p95 ${candidate.latencyP95Ms.toFixed(0)} ms > ${t.maxLatencyP95Ratio} × baseline ${baseline.latencyP95Ms.toFixed(0)} ms`,
    });
  }
  return found;
}

/** The specs' rule taken literally: this window's means, more than maxPassRateDrop apart. */
function windowDropFinding(candidate: VersionMetrics, baseline: VersionMetrics, t: Thresholds): Finding[] {
  const drop = baseline.passRate - candidate.passRate;
  if (!exceeds(drop, t.maxPassRateDrop)) return [];
  return [
    {
      rule: 'maxPassRateDrop',
      reason: `candidate pass rate ${rate(candidate.passRate)} is ${points(drop)} points below baseline ${rate(baseline.passRate)} (> ${points(t.maxPassRateDrop)})`,
    },
  ];
}

function sequentialDropFinding(evidence: SequentialEvidence | null, t: Thresholds): Finding[] {
  if (!evidence?.worseThanTolerance) return [];
  const { estimatedDifference, standardError, logLikelihoodRatio, logThreshold, windows } = evidence;
  return [
    {
      rule: 'maxPassRateDrop',
      reason:
        `candidate pass rate is more than ${points(t.maxPassRateDrop)} points below baseline: sequential test over ${windows} windows ` +
        `estimates ${points(-estimatedDifference)} ± ${points(standardError)} points, likelihood ratio ` +
        `${likelihoodRatio(logLikelihoodRatio)} ≥ ${likelihoodRatio(logThreshold)}`,
    },
  ];
}

/**
 * One health check. Absolute rules on the candidate's window; baseline-relative rules when the baseline has
 * minSamples rows in the same window. The pass-rate drop rule is judged by the sequential test when it is
 * enabled (evidence accumulated over the rows of all checks so far, each row once, false rollbacks ≤ alpha) and by
 * this window's means otherwise (the specs' rule, which on a few hundred rows per window rolls back good candidates
 * by chance).
 */
export function evaluateCheck({ candidate, baseline, thresholds, minSamples, sequential, sinceLastCheck }: CheckInput): CheckResult {
  const fresh = sinceLastCheck ?? { candidate, baseline };
  const sequentialState =
    sequential.config.enabled && fresh.baseline !== null && fresh.baseline.samples > 0
      ? accumulateWindow(sequential.state, fresh.candidate, fresh.baseline)
      : sequential.state;
  const sequentialEvidence = sequential.config.enabled
    ? testPassRateDrop(sequentialState, {
        alpha: sequential.config.alpha,
        mixingSd: sequential.config.mixingSd,
        tolerance: thresholds.maxPassRateDrop,
      })
    : null;
  const outcome = (decision: CheckDecision, reasons: string[], failedRules: CheckRule[] = []): CheckResult => ({
    decision,
    reasons,
    failedRules,
    sequentialState,
    sequentialEvidence,
  });

  if (candidate.samples < minSamples) {
    return outcome('insufficient_data', [
      `candidate ${candidate.version} has ${candidate.samples} feedback rows in this window, fewer than minSamples ${minSamples}`,
    ]);
  }

  const notes: string[] = [];
  const findings = absoluteFindings(candidate, thresholds);
  if (baseline === null) {
    notes.push('no baseline version: baseline-relative rules not applied');
  } else if (baseline.samples < minSamples) {
    notes.push(
      `baseline ${baseline.version} has ${baseline.samples} feedback rows in this window, fewer than minSamples ${minSamples}: ` +
        'baseline-relative rules on this window not applied',
    );
  } else {
    findings.push(...ratioFindings(candidate, baseline, thresholds));
    if (!sequential.config.enabled) findings.push(...windowDropFinding(candidate, baseline, thresholds));
  }
  if (sequential.config.enabled) findings.push(...sequentialDropFinding(sequentialEvidence, thresholds));

  if (findings.length > 0) {
    return outcome(
      'fail',
      findings.map((f) => f.reason),
      findings.map((f) => f.rule),
    );
  }
  return outcome('pass', notes);
}
