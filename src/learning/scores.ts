import type { RequirementsDocument } from './requirements.js';

/**
 * The weights of spec 000's `measure_completeness` (section 5.1), as written there:
 *
 *     if 'api_specification' in requirements: score += 0.3
 *         if 'endpoints' in ...: score += min(0.2, endpoint_count * 0.02)
 *     if 'behavioral_specifications' in requirements: score += 0.2
 *         score += min(0.1, scenario_count * 0.01)
 *     if 'edge_case_specifications' in requirements or any('edge_cases' in spec ...): score += 0.2
 *     return min(1.0, score)
 *
 * Our documents always carry the sections (the schema defaults them to empty), so "in requirements" reads as
 * "present and not empty".
 */
export const COMPLETENESS_WEIGHTS = {
  apiSpecification: 0.3,
  perEndpoint: 0.02,
  endpointsCap: 0.2,
  behavioralSpecifications: 0.2,
  perScenario: 0.01,
  scenariosCap: 0.1,
  edgeCaseSpecifications: 0.2,
} as const;

/**
 * The weights of spec 000's `measure_clarity` (section 5.1), as written there:
 *
 *     score += min(0.3, example_count * 0.03)
 *     score += min(0.3, schema_count * 0.05)      # schemas/formats
 *     score += min(0.2, constraint_count * 0.02)
 *     score += min(0.2, edge_case_count * 0.02)
 *     return min(1.0, score)
 *
 * The spec does not define its count_* helpers. Ours: examples, constraints and edge case specifications are the
 * document's lists; a "schema/format" is a response field whose value the schema pins (enum, const, format or
 * pattern), since a bare `{ type: 'string' }` says no more than the field's name does.
 */
export const CLARITY_WEIGHTS = {
  perExample: 0.03,
  examplesCap: 0.3,
  perSchema: 0.05,
  schemasCap: 0.3,
  perConstraint: 0.02,
  constraintsCap: 0.2,
  perEdgeCase: 0.02,
  edgeCasesCap: 0.2,
} as const;

/** Spec 000's `measure_completeness`, term by term (see COMPLETENESS_WEIGHTS). */
export function completenessScore(doc: RequirementsDocument): number {
  const w = COMPLETENESS_WEIGHTS;
  const endpoints = doc.api_specification.endpoints;
  const scenarios = doc.behavioral_specifications.scenarios;
  const hasEdgeCases = doc.edge_case_specifications.length > 0 || scenarios.some((s) => s.edge_cases.length > 0);
  let score = 0;
  if (endpoints.length > 0) score += w.apiSpecification + Math.min(w.endpointsCap, w.perEndpoint * endpoints.length);
  if (scenarios.length > 0) score += w.behavioralSpecifications + Math.min(w.scenariosCap, w.perScenario * scenarios.length);
  if (hasEdgeCases) score += w.edgeCaseSpecifications;
  return round(Math.min(1, score));
}

/** Spec 000's `measure_clarity`, term by term (see CLARITY_WEIGHTS). */
export function clarityScore(doc: RequirementsDocument): number {
  const w = CLARITY_WEIGHTS;
  const schemas = doc.api_specification.endpoints.reduce((n, e) => n + preciseFields(e.response_schema), 0);
  const score =
    Math.min(w.examplesCap, w.perExample * doc.examples.length) +
    Math.min(w.schemasCap, w.perSchema * schemas) +
    Math.min(w.constraintsCap, w.perConstraint * doc.constraints.length) +
    Math.min(w.edgeCasesCap, w.perEdgeCase * doc.edge_case_specifications.length);
  return round(Math.min(1, score));
}

function preciseFields(schema: Record<string, unknown>): number {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.values(props).filter((p) => ['enum', 'const', 'format', 'pattern'].some((k) => k in p)).length;
}

/** Scores are shown and compared to 4 places; rounding keeps 0.1 + 0.2 from reading as 0.30000000000000004. */
const round = (x: number) => Math.round(x * 10_000) / 10_000;
