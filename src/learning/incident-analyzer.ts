import { improvementKey, type Improvement } from './improvements.js';
import { inputTraits, LONG_TEXT_CHARS, traitField } from './input-traits.js';
import type { Incident, IncidentType } from './monitor.js';
import type { RequestOutcome } from './outcomes.js';
import { findEndpoint, type RequirementsDocument } from './requirements.js';
import type { VarianceAnalysis } from './variance.js';

/**
 * Spec 000's six deficiency types under its own names (`analyze_api_violation`, `analyze_behavioral_deviation`,
 * `design_systematic_improvement`), plus `performance` for latency incidents: the spec routes
 * `performance_degradation` incidents to `analyze_performance_issue` but never names the deficiency it returns.
 */
export const SPEC_DEFICIENCY_TYPES = [
  'missing_api_specification',
  'incomplete_response_specification',
  'missing_error_handling_requirements',
  'missing_behavioral_specification',
  'missing_edge_case_specification',
  'ambiguous_behavioral_specification',
] as const;
export const DEFICIENCY_TYPES = [...SPEC_DEFICIENCY_TYPES, 'performance'] as const;
export type DeficiencyType = (typeof DEFICIENCY_TYPES)[number];

/**
 * Names learnloop used before it took the spec's. A cycle whose analyze phase ran on an older worker hands its
 * findings, through workflow history, to a newer worker's later phases; they read them under the current names.
 */
const LEGACY_DEFICIENCY_TYPES: Readonly<Record<string, DeficiencyType>> = { missing_error_handling: 'missing_error_handling_requirements' };

export function currentDeficiencyType(type: string): DeficiencyType {
  return LEGACY_DEFICIENCY_TYPES[type] ?? (type as DeficiencyType);
}

export interface Deficiency {
  incidentKey: string;
  application: string;
  incidentType: IncidentType;
  type: DeficiencyType;
  /** The requirement area it lives in: "input.text", "response.category", "api.triage". */
  area: string;
  evidence: string[];
  /** null when the evidence names the gap but not a change that would close it. */
  improvement: Improvement | null;
  improvementKey: string | null;
}

/** A trait counts as what the offending requests share when at least this share of them has it. */
const DOMINANT_SHARE = 0.8;

export interface AnalysisContext {
  document: RequirementsDocument;
  /** At least the incident's offending requests, by id. */
  outcomes: ReadonlyMap<string, RequestOutcome>;
  /** The application's variance analysis, which behavioral deviations are explained by. */
  variance?: VarianceAnalysis;
}

/** Maps one incident to the requirement deficiencies that explain it, each with its evidence and a suggested fix. */
export function analyzeIncident(incident: Incident, ctx: AnalysisContext): Deficiency[] {
  const offending = incident.requestIds.map((id) => ctx.outcomes.get(id)).filter((o): o is RequestOutcome => o !== undefined);
  const found = analyzers[incident.type](incident, offending, ctx);
  return found.map((f) => ({
    incidentKey: incident.key,
    application: incident.application,
    incidentType: incident.type,
    ...f,
    improvementKey: f.improvement ? improvementKey(f.improvement) : null,
  }));
}

type Finding = Pick<Deficiency, 'type' | 'area' | 'evidence' | 'improvement'>;
type Analyzer = (incident: Incident, offending: RequestOutcome[], ctx: AnalysisContext) => Finding[];

const analyzers: Record<IncidentType, Analyzer> = {
  error_rate(incident, offending, { document }) {
    const findings: Finding[] = [];
    for (const [endpoint, group] of groupBy(offending, (o) => o.endpoint)) {
      if (!findEndpoint(document, endpoint)) {
        findings.push({
          type: 'missing_api_specification',
          area: `api.${endpoint}`,
          evidence: [`${group.length} failed requests called ${endpoint}, which the API specification does not define`],
          improvement: { kind: 'add_endpoint', endpoint },
        });
        continue;
      }
      const handled = new Set(document.error_handling.map((r) => r.condition));
      const trait = dominantTrait(group, handled);
      const sample = group.slice(0, 3).map((o) => `${o.requestId}: ${o.error ?? 'failed'}`);
      if (!trait) {
        findings.push({
          type: 'missing_error_handling_requirements',
          area: 'input',
          evidence: [`error rate ${pct(incident.value)} > ${pct(incident.threshold)}; the failing inputs share no property`, ...sample],
          improvement: null,
        });
        continue;
      }
      findings.push({
        type: 'missing_error_handling_requirements',
        area: `input.${traitField(trait.trait)}`,
        evidence: [
          `error rate ${pct(incident.value)} > ${pct(incident.threshold)}`,
          `${trait.count} of ${group.length} failed requests have ${trait.trait}, which no error_handling rule covers`,
          ...sample,
        ],
        improvement: {
          kind: 'add_error_handling',
          endpoint,
          condition: trait.trait,
          status: 422,
          code: trait.trait.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase(),
          exampleInput: group[0]?.input,
        },
      });
    }
    return findings;
  },

  latency(incident, offending, { document }) {
    const limited = new Set(document.constraints.filter((c) => c.kind === 'max_length').map((c) => `${c.field}:long`));
    const findings: Finding[] = [];
    for (const [endpoint, group] of groupBy(offending, (o) => o.endpoint)) {
      const trait = dominantTrait(group, limited);
      const evidence = [`latency p99 ${Math.round(incident.value)} ms > ${incident.threshold} ms; ${group.length} requests over budget`];
      if (trait?.trait.endsWith(':long')) {
        const field = traitField(trait.trait);
        evidence.push(`${trait.count} of ${group.length} slow requests have ${trait.trait} (no max_length constraint on "${field}")`);
        findings.push({
          type: 'performance',
          area: `input.${field}`,
          evidence,
          improvement: { kind: 'add_constraint', endpoint, field, maxLength: LONG_TEXT_CHARS },
        });
      } else {
        findings.push({ type: 'performance', area: `api.${endpoint}`, evidence, improvement: null });
      }
    }
    return findings;
  },

  contract_violation(incident, offending, { document }) {
    // details: "path|keyword|message" per violation.
    const byPath = new Map<string, { keyword: string; message: string; requests: RequestOutcome[] }>();
    for (const o of offending) {
      for (const line of incident.details[o.requestId] ?? []) {
        const [path = '', keyword = '', message = ''] = line.split('|');
        const key = `${o.endpoint}|${path}|${keyword}`;
        const entry = byPath.get(key) ?? { keyword, message, requests: [] };
        entry.requests.push(o);
        byPath.set(key, entry);
      }
    }
    const findings: Finding[] = [];
    for (const [key, { keyword, message, requests }] of byPath) {
      const [endpointId = '', path = ''] = key.split('|');
      const field = path.split('/')[1] ?? '';
      const endpoint = findEndpoint(document, endpointId);
      const evidence = [
        `${requests.length} outputs violate the response schema: ${message}`,
        ...requests.slice(0, 3).map((o) => `${o.requestId}: ${field} = ${JSON.stringify(fieldOf(o, field))}`),
      ];
      if (!endpoint) {
        findings.push({
          type: 'missing_api_specification',
          area: `api.${endpointId}`,
          evidence,
          improvement: { kind: 'add_endpoint', endpoint: endpointId },
        });
        continue;
      }
      if (keyword === 'additionalProperties') {
        findings.push({
          type: 'incomplete_response_specification',
          area: `response.${field}`,
          evidence: [...evidence, `"${field}" is answered but not declared in the response schema`],
          improvement: {
            kind: 'add_response_property',
            endpoint: endpointId,
            field,
            schema: inferSchema(requests.map((o) => fieldOf(o, field))),
          },
        });
        continue;
      }
      const covered = new Set(document.edge_case_specifications.map((e) => e.condition));
      const trait = dominantTrait(requests, covered);
      if (trait && field) {
        findings.push({
          type: 'missing_edge_case_specification',
          area: `response.${field}`,
          evidence: [
            ...evidence,
            `${trait.count} of ${requests.length} of these inputs have ${trait.trait}, which no edge case specification covers`,
          ],
          improvement: {
            kind: 'add_edge_case',
            endpoint: endpointId,
            condition: trait.trait,
            field,
            fallback: { [field]: fallbackValue(propertySchema(endpoint.response_schema, field)) },
          },
        });
      } else {
        findings.push({ type: 'incomplete_response_specification', area: `response.${field || '$'}`, evidence, improvement: null });
      }
    }
    return findings;
  },

  behavioral_deviation(incident, offending, { document, variance }) {
    const fieldCounts = new Map<string, number>();
    for (const o of offending) for (const f of incident.details[o.requestId] ?? []) fieldCounts.set(f, (fieldCounts.get(f) ?? 0) + 1);
    const endpointId = offending[0]?.endpoint ?? document.api_specification.endpoints[0]?.id ?? '';
    return [...fieldCounts].map(([field, count]): Finding => {
      const ambiguous = variance?.ambiguousAreas.find((a) => a.field === field);
      const evidence = [
        `deviation ${pct(incident.value)} > ${pct(incident.threshold)} from the baseline variant; "${field}" differs on ${count} paired inputs`,
      ];
      if (ambiguous) evidence.push(ambiguous.clarification);
      const schema = ambiguous ? clarifyingSchema(ambiguous.baselineValues) : null;
      const example = offending.find((o) => (incident.details[o.requestId] ?? []).includes(field));
      // Spec 000: variance a requirement area explains is ambiguity (map_variance_to_ambiguity, clarified by
      // example: behavioral_specification_clarification); a deviation no declared field explains is behaviour
      // the requirements do not specify at all.
      const declared = field in ((findEndpoint(document, endpointId)?.response_schema.properties ?? {}) as Record<string, unknown>);
      return {
        type: ambiguous && declared ? 'ambiguous_behavioral_specification' : 'missing_behavioral_specification',
        area: `response.${field}`,
        evidence,
        improvement: schema
          ? {
              kind: 'clarify_field',
              endpoint: endpointId,
              field,
              schema,
              example: example && ambiguous ? { input: example.input, output: { [field]: ambiguous.baselineValues[0] } } : undefined,
            }
          : null,
      };
    });
  },
};

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The most common input trait of `requests` that `covered` does not already address, when ≥ 80% share it. */
function dominantTrait(requests: readonly RequestOutcome[], covered: ReadonlySet<string>): { trait: string; count: number } | undefined {
  const counts = new Map<string, number>();
  for (const o of requests) for (const t of new Set(inputTraits(o.input))) if (!covered.has(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const [best] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (!best || best[1] < DOMINANT_SHARE * requests.length) return undefined;
  return { trait: best[0], count: best[1] };
}

function fieldOf(o: RequestOutcome, field: string): unknown {
  return o.output !== null && typeof o.output === 'object' ? (o.output as Record<string, unknown>)[field] : undefined;
}

function propertySchema(schema: Record<string, unknown>, field: string): Record<string, unknown> {
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  return props?.[field] ?? {};
}

/** What to answer when the value cannot be determined: a value the field's schema accepts. */
export function fallbackValue(schema: Record<string, unknown>): unknown {
  const choices = schema.enum as unknown[] | undefined;
  if (choices?.length) return choices.find((c) => c === 'unknown' || c === 'other') ?? choices[0];
  switch (schema.type) {
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return 'unknown';
  }
}

function inferSchema(values: readonly unknown[]): Record<string, unknown> {
  const types = new Set(
    values.map((v) =>
      v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v,
    ),
  );
  if (types.has('integer') && types.has('number')) types.delete('integer');
  const list = [...types].filter((t) => t !== 'undefined');
  return { type: list.length === 1 ? list[0] : list };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The schema that pins a field to the form the baseline variant answers in; null when the form is not recognised. */
export function clarifyingSchema(baselineValues: readonly unknown[]): Record<string, unknown> | null {
  if (baselineValues.length === 0) return null;
  if (baselineValues.every((v) => typeof v === 'string' && ISO_DATE.test(v))) return { type: 'string', format: 'date' };
  if (baselineValues.every((v) => typeof v === 'string' && ISO_DATE_TIME.test(v))) return { type: 'string', format: 'date-time' };
  return null;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
