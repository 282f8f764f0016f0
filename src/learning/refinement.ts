import { describeImprovement, improvementKey, type Improvement } from './improvements.js';
import { traitField } from './input-traits.js';
import { findEndpoint, parseRequirements, type RequirementsDocument } from './requirements.js';
import { clarityScore, completenessScore } from './scores.js';

export interface Compatibility {
  compatible: boolean;
  /** Changes that break a client of the previous version. */
  breaking: string[];
  /** Changes clients may notice without breaking: new limits on inputs, new error answers. */
  notes: string[];
}

export interface Refinement {
  application: string;
  fromVersion: number;
  toVersion: number;
  document: RequirementsDocument;
  applied: { key: string; description: string; improvement: Improvement }[];
  skipped: { key: string; reason: string }[];
  compatibility: Compatibility;
  completenessBefore: number;
  completenessAfter: number;
  clarityBefore: number;
  clarityAfter: number;
}

/**
 * The refinement engine: applies improvements to a copy of the document as its next version, checks the result
 * against the previous version and scores both. Improvements the document already satisfies are skipped.
 */
export function refineRequirements(previous: RequirementsDocument, improvements: readonly Improvement[]): Refinement {
  const doc = structuredClone(previous);
  doc.version = previous.version + 1;
  const applied: Refinement['applied'] = [];
  const skipped: Refinement['skipped'] = [];
  const seen = new Set<string>();
  for (const improvement of improvements) {
    const key = improvementKey(improvement);
    if (seen.has(key)) continue;
    seen.add(key);
    const reason = apply(doc, improvement);
    if (reason) skipped.push({ key, reason });
    else applied.push({ key, description: describeImprovement(improvement), improvement });
  }
  // Through the schema again: a refinement must itself be a valid document (and its schemas must compile).
  const document = parseRequirements(doc);
  return {
    application: previous.application,
    fromVersion: previous.version,
    toVersion: document.version,
    document,
    applied,
    skipped,
    compatibility: checkCompatibility(previous, document),
    completenessBefore: completenessScore(previous),
    completenessAfter: completenessScore(document),
    clarityBefore: clarityScore(previous),
    clarityAfter: clarityScore(document),
  };
}

/** Applies one improvement in place; returns why not when it cannot or need not. */
function apply(doc: RequirementsDocument, i: Improvement): string | undefined {
  if (i.kind === 'add_endpoint') {
    if (findEndpoint(doc, i.endpoint)) return `endpoint ${i.endpoint} is already specified`;
    doc.api_specification.endpoints.push({
      id: i.endpoint,
      method: 'POST',
      path: `/${i.endpoint}`,
      description: 'specified after production traffic called it',
      response_schema: { type: 'object' },
    });
    return undefined;
  }
  const endpoint = findEndpoint(doc, i.endpoint);
  if (!endpoint) return `endpoint ${i.endpoint} is not specified`;
  const properties = (endpoint.response_schema.properties ??= {}) as Record<string, Record<string, unknown>>;

  switch (i.kind) {
    case 'add_error_handling': {
      if (doc.error_handling.some((r) => r.condition === i.condition)) return `${i.condition} already has an error rule`;
      doc.error_handling.push({ condition: i.condition, status: i.status, code: i.code, message: `input rejected: ${i.condition}` });
      const edgeCase = addEdgeCase(doc, `input.${traitField(i.condition)}`, i.condition, `rejected with ${i.status} ${i.code}`);
      addScenario(
        doc,
        i.condition,
        `a request whose input has ${i.condition}`,
        `the answer is ${i.status} with error code ${i.code}`,
        edgeCase,
      );
      if (i.exampleInput !== undefined) {
        doc.examples.push({
          endpoint: i.endpoint,
          description: `rejected: ${i.condition}`,
          input: i.exampleInput,
          output: { error: i.code },
        });
      }
      return undefined;
    }
    case 'add_edge_case': {
      if (doc.edge_case_specifications.some((e) => e.condition === i.condition))
        return `${i.condition} already has an edge case specification`;
      const edgeCase = addEdgeCase(doc, `response.${i.field}`, i.condition, `answer ${JSON.stringify(i.fallback)}`, i.fallback);
      addScenario(doc, i.condition, `a request whose input has ${i.condition}`, `the answer sets ${JSON.stringify(i.fallback)}`, edgeCase);
      return undefined;
    }
    case 'add_response_property': {
      if (properties[i.field]) return `response field ${i.field} is already declared`;
      properties[i.field] = i.schema;
      return undefined;
    }
    case 'add_constraint': {
      if (doc.constraints.some((c) => c.field === i.field && c.kind === 'max_length')) return `${i.field} already has a max_length`;
      doc.constraints.push({
        field: i.field,
        kind: 'max_length',
        value: i.maxLength,
        description: `longer inputs are refused, not processed slowly`,
      });
      const condition = `${i.field}:long`;
      if (!doc.error_handling.some((r) => r.condition === condition)) {
        const code = `${i.field.toUpperCase()}_TOO_LONG`;
        doc.error_handling.push({ condition, status: 413, code, message: `${i.field} is longer than ${i.maxLength} characters` });
        const edgeCase = addEdgeCase(doc, `input.${i.field}`, condition, `rejected with 413 ${code}`);
        addScenario(
          doc,
          condition,
          `a request whose ${i.field} is longer than ${i.maxLength} characters`,
          `the answer is 413 ${code}, fast`,
          edgeCase,
        );
      }
      return undefined;
    }
    case 'clarify_field': {
      const current = properties[i.field] ?? {};
      if (Object.entries(i.schema).every(([k, v]) => JSON.stringify(current[k]) === JSON.stringify(v)))
        return `${i.field} is already that precise`;
      properties[i.field] = { ...current, ...i.schema };
      addScenario(
        doc,
        `${i.field}-form`,
        `any answer with "${i.field}"`,
        `"${i.field}" satisfies ${JSON.stringify(i.schema)} in every variant`,
        undefined,
      );
      if (i.example)
        doc.examples.push({
          endpoint: i.endpoint,
          description: `the form of ${i.field}`,
          input: i.example.input,
          output: i.example.output,
        });
      return undefined;
    }
  }
}

function addEdgeCase(
  doc: RequirementsDocument,
  area: string,
  condition: string,
  expected: string,
  fallback?: Record<string, unknown>,
): string {
  const id = `ec-${condition.replace(/[^a-z0-9]+/gi, '-')}`;
  if (!doc.edge_case_specifications.some((e) => e.id === id)) {
    doc.edge_case_specifications.push({ id, area, condition, expected_behavior: expected, ...(fallback ? { fallback } : {}) });
  }
  return id;
}

function addScenario(doc: RequirementsDocument, name: string, given: string, then: string, edgeCase: string | undefined): void {
  const id = `sc-${name.replace(/[^a-z0-9]+/gi, '-')}`;
  if (doc.behavioral_specifications.scenarios.some((s) => s.id === id)) return;
  doc.behavioral_specifications.scenarios.push({ id, description: given, given, then, edge_cases: edgeCase ? [edgeCase] : [] });
}

/**
 * Backward compatibility of `next` against `previous`: clients of every endpoint must still get the fields they
 * relied on, in the types they relied on. Narrowing a field (a format on a free string) is noted, not breaking.
 */
export function checkCompatibility(previous: RequirementsDocument, next: RequirementsDocument): Compatibility {
  const breaking: string[] = [];
  const notes: string[] = [];
  for (const before of previous.api_specification.endpoints) {
    const after = findEndpoint(next, before.id);
    if (!after) {
      breaking.push(`endpoint ${before.id} removed`);
      continue;
    }
    if (after.method !== before.method || after.path !== before.path)
      breaking.push(`endpoint ${before.id} moved to ${after.method} ${after.path}`);
    const required = new Set((after.response_schema.required ?? []) as string[]);
    for (const field of (before.response_schema.required ?? []) as string[]) {
      if (!required.has(field)) breaking.push(`${before.id}: response field ${field} no longer required`);
    }
    const oldProps = (before.response_schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    const newProps = (after.response_schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [field, schema] of Object.entries(oldProps)) {
      const now = newProps[field];
      if (!now) breaking.push(`${before.id}: response field ${field} removed`);
      else if (JSON.stringify(now.type) !== JSON.stringify(schema.type))
        breaking.push(`${before.id}: response field ${field} changed type`);
      else if (JSON.stringify(now) !== JSON.stringify(schema))
        notes.push(`${before.id}: response field ${field} narrowed to ${JSON.stringify(now)}`);
    }
    const newRequestRequired = ((after.request_schema?.required ?? []) as string[]).filter(
      (f) => !((before.request_schema?.required ?? []) as string[]).includes(f),
    );
    for (const field of newRequestRequired) breaking.push(`${before.id}: request field ${field} now required`);
  }
  for (const c of next.constraints) {
    if (!previous.constraints.some((p) => p.field === c.field && p.kind === c.kind))
      notes.push(`new limit: ${c.field} ${c.kind} ${c.value}`);
  }
  for (const r of next.error_handling) {
    if (!previous.error_handling.some((p) => p.condition === r.condition))
      notes.push(`new error answer: ${r.status} ${r.code} for ${r.condition}`);
  }
  return { compatible: breaking.length === 0, breaking, notes };
}
