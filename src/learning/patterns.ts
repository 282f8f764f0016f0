import type { Deficiency, DeficiencyType } from './incident-analyzer.js';
import { describeImprovement, type Improvement } from './improvements.js';

/** Two findings at or above this similarity belong to the same pattern. */
export const SIMILARITY_THRESHOLD = 0.6;
/** A pattern spanning at least this many incidents is a systematic issue. */
export const SYSTEMATIC_MIN_INCIDENTS = 3;

/** 0.3 · same incident type + 0.3 · same requirement area + 0.4 · same deficiency, in tenths so 0.6 is exact. */
export function similarity(a: Deficiency, b: Deficiency): number {
  const tenths = 3 * Number(a.incidentType === b.incidentType) + 3 * Number(a.area === b.area) + 4 * Number(a.type === b.type);
  return tenths / 10;
}

export interface SystematicIssue {
  id: string;
  deficiencyType: DeficiencyType;
  areas: string[];
  applications: string[];
  incidentKeys: string[];
  /** The fix designed for the whole pattern: every distinct improvement its findings suggest. */
  improvements: Improvement[];
  description: string;
}

/**
 * Groups findings whose similarity is ≥ 0.6 (single linkage: connected components of the similarity graph), and
 * reports the groups that span ≥ 3 distinct incidents as systematic issues.
 */
export function detectPatterns(findings: readonly Deficiency[]): { clusters: Deficiency[][]; systematicIssues: SystematicIssue[] } {
  const parent = findings.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  for (let i = 0; i < findings.length; i++) {
    for (let j = i + 1; j < findings.length; j++) {
      if (similarity(findings[i]!, findings[j]!) >= SIMILARITY_THRESHOLD) parent[root(j)] = root(i);
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
      for (const f of cluster) if (f.improvement && f.improvementKey && !improvements.has(f.improvementKey)) improvements.set(f.improvementKey, f.improvement);
      const areas = [...new Set(cluster.map((f) => f.area))].sort();
      const incidents = new Set(cluster.map((f) => f.incidentKey));
      return {
        id: `systematic-${n + 1}`,
        deficiencyType: type,
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
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}
