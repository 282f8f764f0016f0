import { currentDeficiencyType, type Deficiency, type DeficiencyType } from './incident-analyzer.js';
import { describeImprovement, type Improvement } from './improvements.js';
import { defined } from '../platform/defined.js';

/** Two findings at or above this similarity belong to the same pattern. */
export const SIMILARITY_THRESHOLD = 0.6;
/** A pattern spanning at least this many incidents is a systematic issue. */
export const SYSTEMATIC_MIN_INCIDENTS = 3;

/** 0.3 · same incident type + 0.3 · same requirement area + 0.4 · same deficiency, in tenths so 0.6 is exact. */
export function similarity(a: Deficiency, b: Deficiency): number {
  const tenths = 3 * Number(a.incidentType === b.incidentType) + 3 * Number(a.area === b.area) + 4 * Number(a.type === b.type);
  return tenths / 10;
}

/**
 * Spec 000's `design_systematic_improvement`, which switches on a cluster's common deficiency: the improvement it
 * designs for the whole cluster and its approach (the spec's `validation_rule`, `methodology` or `approach`). The
 * spec designs none for the other types (it returns None); the cluster's own improvements stand for them.
 */
export const SYSTEMATIC_IMPROVEMENTS = {
  missing_api_specification: { improvementType: 'systematic_api_documentation', approach: 'require_api_spec_for_all_endpoints' },
  missing_edge_case_specification: { improvementType: 'systematic_edge_case_analysis', approach: 'boundary_value_analysis' },
  ambiguous_behavioral_specification: {
    improvementType: 'behavioral_specification_clarification',
    approach: 'example_based_specification',
  },
} as const satisfies Partial<Record<DeficiencyType, { improvementType: string; approach: string }>>;

export type SystematicImprovement = (typeof SYSTEMATIC_IMPROVEMENTS)[keyof typeof SYSTEMATIC_IMPROVEMENTS];

export function systematicImprovement(type: DeficiencyType): SystematicImprovement | null {
  return (SYSTEMATIC_IMPROVEMENTS as Partial<Record<DeficiencyType, SystematicImprovement>>)[type] ?? null;
}

export interface SystematicIssue {
  id: string;
  deficiencyType: DeficiencyType;
  /** What the spec designs for this deficiency across the cluster; null where it designs nothing. */
  systematicImprovement: SystematicImprovement | null;
  areas: string[];
  applications: string[];
  incidentKeys: string[];
  /** The fix designed for the whole pattern: every distinct improvement its findings suggest. */
  improvements: Improvement[];
  description: string;
}

/** A systematic issue found by an older worker (recorded in workflow history), under the current names. */
export function currentSystematicIssue(issue: SystematicIssue): SystematicIssue {
  const type = currentDeficiencyType(issue.deficiencyType);
  // Issues recorded before systematicImprovement existed have none, whatever SystematicIssue now says.
  const recorded: Partial<Pick<SystematicIssue, 'systematicImprovement'>> = issue;
  if (type === issue.deficiencyType && recorded.systematicImprovement !== undefined) return issue;
  return {
    ...issue,
    deficiencyType: type,
    systematicImprovement: issue.systematicImprovement ?? systematicImprovement(type),
    description: issue.description.replace(` to ${issue.deficiencyType.replaceAll('_', ' ')} in `, ` to ${type.replaceAll('_', ' ')} in `),
  };
}

/**
 * Groups findings whose similarity is ≥ 0.6 (single linkage: connected components of the similarity graph), and
 * reports the groups that span ≥ 3 distinct incidents as systematic issues.
 */
export function detectPatterns(found: readonly Deficiency[]): { clusters: Deficiency[][]; systematicIssues: SystematicIssue[] } {
  const findings = found.map((f) => ({ ...f, type: currentDeficiencyType(f.type) }));
  const parent = findings.map((_, i) => i);
  const root = (i: number): number => {
    const p = defined(parent[i], "a finding's parent");
    return p === i ? i : (parent[i] = root(p));
  };
  for (const [i, a] of findings.entries()) {
    for (const [j, b] of findings.entries()) {
      if (j > i && similarity(a, b) >= SIMILARITY_THRESHOLD) parent[root(j)] = root(i);
    }
  }
  const groups = new Map<number, Deficiency[]>();
  findings.forEach((f, i) => {
    const r = root(i);
    groups.set(r, [...(groups.get(r) ?? []), f]);
  });
  const clusters = [...groups.values()];
  const systematicIssues = clusters
    .filter((c) => new Set(c.map((f) => f.incidentKey)).size >= SYSTEMATIC_MIN_INCIDENTS)
    .map((cluster, n): SystematicIssue => {
      const type = mostCommon(cluster.map((f) => f.type));
      const improvements = new Map<string, Improvement>();
      for (const f of cluster)
        if (f.improvement && f.improvementKey && !improvements.has(f.improvementKey)) improvements.set(f.improvementKey, f.improvement);
      const areas = [...new Set(cluster.map((f) => f.area))].sort();
      const incidents = new Set(cluster.map((f) => f.incidentKey));
      return {
        id: `systematic-${n + 1}`,
        deficiencyType: type,
        systematicImprovement: systematicImprovement(type),
        areas,
        applications: [...new Set(cluster.map((f) => f.application))].sort(),
        incidentKeys: [...incidents],
        improvements: [...improvements.values()],
        description:
          `${incidents.size} incidents trace to ${type.replaceAll('_', ' ')} in ${areas.join(', ')}` +
          (improvements.size ? `; fix: ${[...new Set([...improvements.values()].map(describeImprovement))].join('; ')}` : ''),
      };
    });
  return { clusters, systematicIssues };
}

function mostCommon<T>(items: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const x of items) counts.set(x, (counts.get(x) ?? 0) + 1);
  return defined([...counts].sort((a, b) => b[1] - a[1])[0], 'the most common item')[0];
}
