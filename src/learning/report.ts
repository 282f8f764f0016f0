import type { TrainingDecision } from './feedback-trainer.js';
import type { IncidentType } from './monitor.js';
import type { SystematicIssue } from './patterns.js';
import type { Reliability } from './performance.js';
import type { Refinement } from './refinement.js';

/** A refinement as the report and the workflow carry it: scores and what changed, not the whole document. */
export interface RefinementSummary {
  application: string;
  fromVersion: number;
  toVersion: number;
  applied: string[];
  compatible: boolean;
  breaking: string[];
  completenessBefore: number;
  completenessAfter: number;
  clarityBefore: number;
  clarityAfter: number;
}

/** What the report keeps of a refinement: the versions, what was applied and the scores, not the documents. */
export function summarizeRefinement(r: Refinement): RefinementSummary {
  return {
    application: r.application,
    fromVersion: r.fromVersion,
    toVersion: r.toVersion,
    applied: r.applied.map((a) => a.description),
    compatible: r.compatibility.compatible,
    breaking: r.compatibility.breaking,
    completenessBefore: r.completenessBefore,
    completenessAfter: r.completenessAfter,
    clarityBefore: r.clarityBefore,
    clarityAfter: r.clarityAfter,
  };
}

/** A requirement counts as significantly improved when completeness or clarity rose by more than this. */
export const SIGNIFICANT_IMPROVEMENT = 0.1;

export interface ReportInput {
  cycleId: string;
  status: 'completed' | 'aborted';
  abortReason?: string;
  durationDays: number;
  checksRun: number;
  deployments: { application: string; variant: string; requirementsVersion: number }[];
  incidents: { type: IncidentType; application: string; day: number }[];
  systematicIssues: SystematicIssue[];
  refinements: RefinementSummary[];
  reliability: ({ application: string; version: number } & Reliability)[];
  training: TrainingDecision & { retrainWorkflowId?: string };
}

export type CycleReport = ReturnType<typeof buildReport>;

/** The specs' cycle report: summary, incident breakdown, refinement impact, model improvements, recommendations. */
export function buildReport(input: ReportInput) {
  const count = (keys: string[]) => keys.reduce<Record<string, number>>((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {});
  const perDay = new Map<string, { day: number; type: IncidentType; count: number }>();
  for (const i of input.incidents) {
    const key = `${i.day}/${i.type}`;
    const entry = perDay.get(key) ?? { day: i.day, type: i.type, count: 0 };
    entry.count++;
    perDay.set(key, entry);
  }
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : round(xs.reduce((s, x) => s + x, 0) / xs.length));
  const significantlyImproved = input.refinements
    .filter(
      (r) =>
        r.completenessAfter - r.completenessBefore > SIGNIFICANT_IMPROVEMENT || r.clarityAfter - r.clarityBefore > SIGNIFICANT_IMPROVEMENT,
    )
    .map((r) => `${r.application} v${r.fromVersion} → v${r.toVersion}`);

  const recommendations = [
    ...input.reliability
      .filter((r) => r.problematic)
      .map(
        (r) =>
          `${r.application} requirements v${r.version} are problematic (reliability ${r.score.toFixed(2)} < 0.6): review them before the next cycle`,
      ),
    ...input.systematicIssues.map((s) => `systematic: ${s.description}`),
    ...input.refinements
      .filter((r) => !r.compatible)
      .map((r) => `${r.application} v${r.toVersion} breaks clients of v${r.fromVersion}: ${r.breaking.join('; ')}`),
    ...input.refinements.map(
      (r) => `redeploy ${r.application} against requirements v${r.toVersion} and run another cycle to measure the change`,
    ),
    ...(input.training.start ? [] : [`model not retrained (${input.training.reason}, ${input.training.samples} samples)`]),
  ];

  return {
    cycleId: input.cycleId,
    status: input.status,
    ...(input.abortReason ? { abortReason: input.abortReason } : {}),
    durationDays: input.durationDays,
    checksRun: input.checksRun,
    summary: {
      applicationsDeployed: new Set(input.deployments.map((d) => d.application)).size,
      deployments: input.deployments.length,
      incidents: input.incidents.length,
      incidentsPerDeployment: input.deployments.length === 0 ? 0 : round(input.incidents.length / input.deployments.length),
      refinements: input.refinements.length,
      systematicIssues: input.systematicIssues.length,
    },
    incidentBreakdown: {
      byType: count(input.incidents.map((i) => i.type)),
      byApplication: count(input.incidents.map((i) => i.application)),
      perDay: [...perDay.values()].sort((a, b) => a.day - b.day || (a.type < b.type ? -1 : 1)),
    },
    refinementImpact: {
      averageCompletenessGain: mean(input.refinements.map((r) => r.completenessAfter - r.completenessBefore)),
      averageClarityGain: mean(input.refinements.map((r) => r.clarityAfter - r.clarityBefore)),
      improvementsApplied: input.refinements.reduce((n, r) => n + r.applied.length, 0),
      significantlyImproved,
      requirements: input.refinements,
    },
    reliability: input.reliability.map((r) => ({
      application: r.application,
      version: r.version,
      score: round(r.score),
      problematic: r.problematic,
      outcomes: r.outcomes,
    })),
    systematicIssues: input.systematicIssues.map((s) => ({
      id: s.id,
      deficiencyType: s.deficiencyType,
      systematicImprovement: s.systematicImprovement,
      areas: s.areas,
      applications: s.applications,
      incidents: s.incidentKeys.length,
      description: s.description,
    })),
    modelImprovements: input.training,
    recommendations,
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
