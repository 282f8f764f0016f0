import type { RequirementsDocument } from './requirements.js';

/**
 * Completeness, the specs' formula: 0.3 when there is an API specification + 0.05 per endpoint with a response
 * schema (up to 0.2), 0.2 when there are behavioral specifications + 0.02 per scenario (up to 0.1), 0.2 when
 * there are edge case specifications.
 */
export function completenessScore(doc: RequirementsDocument): number {
  const endpoints = doc.api_specification.endpoints;
  const scenarios = doc.behavioral_specifications.scenarios;
  const score =
    (endpoints.length > 0 ? 0.3 : 0) +
    Math.min(0.2, 0.05 * endpoints.filter((e) => Object.keys(e.response_schema).length > 0).length) +
    (scenarios.length > 0 ? 0.2 : 0) +
    Math.min(0.1, 0.02 * scenarios.length) +
    (doc.edge_case_specifications.length > 0 ? 0.2 : 0);
  return round(score);
}

/**
 * Clarity: examples 0.1 each (up to 0.3), precise response fields 0.1 each (up to 0.3; precise = pinned by an
 * enum, const, format or pattern), constraints 0.1 each (up to 0.2), edge case specifications 0.05 each (up to 0.2).
 * The issue names these four terms and that each is capped; the weights and caps are ours, chosen so that each term
 * saturates at a document a reviewer would call clear.
 */
export function clarityScore(doc: RequirementsDocument): number {
  const precise = doc.api_specification.endpoints.reduce((n, e) => n + preciseFields(e.response_schema), 0);
  const score =
    Math.min(0.3, 0.1 * doc.examples.length) +
    Math.min(0.3, 0.1 * precise) +
    Math.min(0.2, 0.1 * doc.constraints.length) +
    Math.min(0.2, 0.05 * doc.edge_case_specifications.length);
  return round(score);
}

function preciseFields(schema: Record<string, unknown>): number {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.values(props).filter((p) => ['enum', 'const', 'format', 'pattern'].some((k) => k in p)).length;
}

/** Scores are shown and compared to 4 places; rounding keeps 0.1 + 0.2 from reading as 0.30000000000000004. */
const round = (x: number) => Math.round(x * 10_000) / 10_000;
