import { canonicalJson, inputKey, type RequestOutcome } from './outcomes.js';

/** A difference rate above this between two variants on the same inputs is significant. */
export const SIGNIFICANT_DIFFERENCE_RATE = 0.05;
/** A response field that differs on more than this share of paired inputs is an ambiguous requirement area. */
export const AMBIGUOUS_FIELD_VARIANCE = 0.1;

export interface PairedDifference {
  requestId: string;
  baselineRequestId: string;
  /** Top-level response fields whose values differ; ["$status"] when one answered and the other did not. */
  fields: string[];
}

export interface VariantComparison {
  pairs: number;
  differing: PairedDifference[];
  differenceRate: number;
  /** Per response field: share of the pairs where it differs. */
  fieldRates: Record<string, number>;
}

/** Pairs each candidate outcome with a baseline outcome on the same input and lists where their answers differ. */
export function compareVariants(baseline: readonly RequestOutcome[], candidate: readonly RequestOutcome[]): VariantComparison {
  const byInput = new Map<string, RequestOutcome>();
  for (const o of baseline) byInput.set(inputKey(o), o);
  const differing: PairedDifference[] = [];
  const fieldCounts: Record<string, number> = {};
  let pairs = 0;
  for (const o of candidate) {
    const base = byInput.get(inputKey(o));
    if (!base) continue;
    pairs++;
    const fields = differingFields(base, o);
    if (fields.length === 0) continue;
    differing.push({ requestId: o.requestId, baselineRequestId: base.requestId, fields });
    for (const f of fields) fieldCounts[f] = (fieldCounts[f] ?? 0) + 1;
  }
  const fieldRates = Object.fromEntries(Object.entries(fieldCounts).map(([f, n]) => [f, n / pairs]));
  return { pairs, differing, differenceRate: pairs === 0 ? 0 : differing.length / pairs, fieldRates };
}

function differingFields(a: RequestOutcome, b: RequestOutcome): string[] {
  if (a.status !== b.status) return ['$status'];
  const ao = a.output,
    bo = b.output;
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isRecord(ao) || !isRecord(bo)) return canonicalJson(ao) === canonicalJson(bo) ? [] : ['$output'];
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
  return keys.filter((k) => canonicalJson(ao[k]) !== canonicalJson(bo[k]));
}

export interface AmbiguousArea {
  /** "response.due_date" */
  area: string;
  field: string;
  variance: number;
  /** What the baseline variant answered for this field on differing inputs, and what the other answered. */
  baselineValues: unknown[];
  candidateValues: unknown[];
  clarification: string;
}

export interface VarianceAnalysis {
  application: string;
  baselineVariant: string;
  variant: string;
  pairs: number;
  differenceRate: number;
  significant: boolean;
  ambiguousAreas: AmbiguousArea[];
}

/**
 * The variance analyzer: on the same inputs, how often two variants of one application disagree, and which
 * response fields they disagree on often enough (> 10%) that the requirements must be leaving them open.
 */
export function analyzeVariance(input: {
  application: string;
  baselineVariant: string;
  variant: string;
  baseline: readonly RequestOutcome[];
  candidate: readonly RequestOutcome[];
}): VarianceAnalysis {
  const comparison = compareVariants(input.baseline, input.candidate);
  const byId = new Map([...input.baseline, ...input.candidate].map((o) => [o.requestId, o]));
  const ambiguousAreas = Object.entries(comparison.fieldRates)
    .filter(([field, rate]) => rate > AMBIGUOUS_FIELD_VARIANCE && !field.startsWith('$'))
    .map(([field, variance]): AmbiguousArea => {
      const pairs = comparison.differing.filter((d) => d.fields.includes(field)).slice(0, 5);
      const valueOf = (id: string) => (byId.get(id)?.output as Record<string, unknown> | undefined)?.[field];
      const baselineValues = pairs.map((d) => valueOf(d.baselineRequestId));
      const candidateValues = pairs.map((d) => valueOf(d.requestId));
      return {
        area: `response.${field}`,
        field,
        variance,
        baselineValues,
        candidateValues,
        clarification: `specify the exact form of "${field}": the variants answer ${JSON.stringify(baselineValues[0])} and ${JSON.stringify(candidateValues[0])} for the same input`,
      };
    });
  return {
    application: input.application,
    baselineVariant: input.baselineVariant,
    variant: input.variant,
    pairs: comparison.pairs,
    differenceRate: comparison.differenceRate,
    significant: comparison.differenceRate > SIGNIFICANT_DIFFERENCE_RATE,
    ambiguousAreas,
  };
}
