import { trainingSamples, type TrainingSample } from './feedback-trainer.js';
import { analyzeIncident, type Deficiency } from './incident-analyzer.js';
import type { Improvement } from './improvements.js';
import { evaluateDeployment, type DeploymentEvaluation, type Incident, type IncidentType } from './monitor.js';
import type { RequestOutcome } from './outcomes.js';
import { detectPatterns, type SystematicIssue } from './patterns.js';
import { refineRequirements, type Refinement } from './refinement.js';
import type { RequirementsDocument } from './requirements.js';
import { analyzeVariance, type VarianceAnalysis } from './variance.js';

export interface ApplicationWindow {
  application: string;
  /** variants[0] is the baseline. */
  variants: readonly string[];
  document: RequirementsDocument;
  outcomes: readonly RequestOutcome[];
}

export interface WindowCheck {
  evaluations: DeploymentEvaluation[];
  /** Incidents opened by this window: monitors that tripped and had no incident open. */
  opened: Incident[];
  /** "application/variant/type" of every monitor tripped in this window: the open incidents after it. */
  open: string[];
}

/**
 * Evaluates every deployment of an application over one window. An incident opens when a monitor trips and stays
 * open while it keeps tripping (one incident per outage, not one per check); `open` carries that between checks.
 */
export function checkWindow(window: ApplicationWindow, open: readonly string[], checkKey: string): WindowCheck {
  const [baselineVariant] = window.variants;
  const byVariant = (v: string) => window.outcomes.filter((o) => o.variant === v);
  const baseline = baselineVariant === undefined ? [] : byVariant(baselineVariant);
  const evaluations = window.variants.map((variant) =>
    evaluateDeployment({
      application: window.application,
      variant,
      document: window.document,
      outcomes: byVariant(variant),
      baseline: variant === baselineVariant ? undefined : baseline,
    }),
  );
  const wasOpen = new Set(open);
  const opened: Incident[] = [];
  const nowOpen: string[] = [];
  for (const e of evaluations) {
    for (const r of e.readings.filter((r) => r.tripped)) {
      const id = openKey(e.application, e.variant, r.type);
      nowOpen.push(id);
      if (wasOpen.has(id)) continue;
      opened.push({
        key: `${checkKey}/${id}`,
        application: e.application,
        variant: e.variant,
        requirementsVersion: e.requirementsVersion,
        type: r.type,
        value: r.value,
        threshold: r.threshold,
        requestIds: r.offendingRequestIds,
        details: r.details,
      });
    }
  }
  return { evaluations, opened, open: nowOpen };
}

const openKey = (application: string, variant: string, type: IncidentType) => `${application}/${variant}/${type}`;

export interface CycleApplication {
  application: string;
  variants: readonly string[];
  /** The requirements version the cycle deployed. */
  document: RequirementsDocument;
}

export interface IncidentAnalysis {
  variance: VarianceAnalysis[];
  deficiencies: Deficiency[];
}

/**
 * The analyze phase: each application's variants compared on the same inputs, and every incident mapped to its
 * deficiencies. `outcomes` holds at least every incident's offending requests, and paired outcomes for variance.
 */
export function analyzeIncidents(
  applications: readonly CycleApplication[],
  incidents: readonly Incident[],
  outcomes: readonly RequestOutcome[],
): IncidentAnalysis {
  const outcomesById = new Map(outcomes.map((o) => [o.requestId, o]));
  const variance = applications.flatMap(({ application, variants }) => {
    const [baselineVariant, ...others] = variants;
    if (baselineVariant === undefined) return [];
    const of = (v: string) => outcomes.filter((o) => o.application === application && o.variant === v);
    return others.map((variant) =>
      analyzeVariance({ application, baselineVariant, variant, baseline: of(baselineVariant), candidate: of(variant) }),
    );
  });
  const deficiencies = incidents.flatMap((incident) => {
    const app = applications.find((a) => a.application === incident.application);
    if (!app) return [];
    return analyzeIncident(incident, {
      document: app.document,
      outcomes: outcomesById,
      variance: variance.find((v) => v.application === incident.application && v.variant === incident.variant),
    });
  });
  return { variance, deficiencies };
}

/**
 * The refine phase: each application's deployed document with every improvement its deficiencies suggest, as the
 * next version, and the training samples those refinements make. Applications with nothing to apply are left out.
 */
export function planRefinements(
  applications: readonly CycleApplication[],
  deficiencies: readonly Deficiency[],
): { refinements: Refinement[]; samples: TrainingSample[] } {
  const refinements: Refinement[] = [];
  const samples: TrainingSample[] = [];
  for (const app of applications) {
    const own = deficiencies.filter((d) => d.application === app.application && d.improvement !== null);
    if (own.length === 0) continue;
    const incidentsBy = new Map<string, Set<string>>();
    for (const d of own) {
      const key = d.improvementKey;
      if (key === null) throw new Error(`a finding of incident ${d.incidentKey} has an improvement but no improvement key`);
      incidentsBy.set(key, (incidentsBy.get(key) ?? new Set()).add(d.incidentKey));
    }
    const refinement = refineRequirements(
      app.document,
      own.map((d) => d.improvement as Improvement),
    );
    if (refinement.applied.length === 0) continue;
    refinements.push(refinement);
    samples.push(...trainingSamples(refinement, new Map([...incidentsBy].map(([k, s]) => [k, s.size]))));
  }
  return { refinements, samples };
}

export interface CycleAnalysis extends IncidentAnalysis {
  systematicIssues: SystematicIssue[];
  refinements: Refinement[];
  samples: TrainingSample[];
}

/** Analyze → detect patterns → refine → training samples, over everything one cycle saw. */
export function analyzeCycle(input: {
  applications: CycleApplication[];
  incidents: readonly Incident[];
  outcomes: readonly RequestOutcome[];
}): CycleAnalysis {
  const analysis = analyzeIncidents(input.applications, input.incidents, input.outcomes);
  const { systematicIssues } = detectPatterns(analysis.deficiencies);
  return { ...analysis, systematicIssues, ...planRefinements(input.applications, analysis.deficiencies) };
}
