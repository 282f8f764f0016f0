import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCompatibility, refineRequirements } from '../../src/learning/refinement.js';
import { parseRequirements } from '../../src/learning/requirements.js';
import { clarityScore, completenessScore } from '../../src/learning/scores.js';
import { document } from './fixtures.js';

const endpoint = (id: string) => ({ id, method: 'POST' as const, path: `/${id}`, response_schema: { type: 'object' } });
const scenario = (id: string) => ({ id, description: id, then: 'ok' });
const edge = (id: string) => ({ id, area: 'input.text', condition: `text:${id}`, expected_behavior: 'x' });

describe('completeness score', () => {
  test('empty document scores 0; each term at its cap', () => {
    assert.equal(completenessScore(parseRequirements({ schema_version: 1, application: 'x', version: 1 })), 0);
    const full = parseRequirements({
      schema_version: 1,
      application: 'x',
      version: 1,
      api_specification: { endpoints: ['a', 'b', 'c', 'd', 'e'].map(endpoint) },
      behavioral_specifications: { scenarios: ['1', '2', '3', '4', '5', '6'].map(scenario) },
      edge_case_specifications: [edge('empty')],
    });
    assert.equal(completenessScore(full), 1);
  });

  test('one endpoint and one scenario: 0.3 + 0.05 + 0.2 + 0.02', () => {
    const doc = parseRequirements({ schema_version: 1, application: 'x', version: 1, api_specification: { endpoints: [endpoint('a')] }, behavioral_specifications: { scenarios: [scenario('s')] } });
    assert.equal(completenessScore(doc), 0.57);
  });
});

describe('clarity score', () => {
  test('examples 0.1 each up to 0.3, precise fields 0.1 up to 0.3, constraints 0.1 up to 0.2, edge cases 0.05 up to 0.2', () => {
    const props = Object.fromEntries(['a', 'b', 'c', 'd'].map((f) => [f, { type: 'string', format: 'date' }]));
    const doc = parseRequirements({
      schema_version: 1,
      application: 'x',
      version: 1,
      api_specification: { endpoints: [{ ...endpoint('e'), response_schema: { type: 'object', properties: { ...props, loose: { type: 'string' } } } }] },
      examples: Array.from({ length: 4 }, () => ({ endpoint: 'e', input: {}, output: {} })),
      constraints: Array.from({ length: 3 }, (_, i) => ({ field: `f${i}`, kind: 'max_length' as const, value: 10 })),
      edge_case_specifications: ['a', 'b', 'c', 'd', 'e'].map(edge),
    });
    assert.equal(clarityScore(doc), 1);
    assert.equal(clarityScore(parseRequirements({ ...doc, examples: doc.examples.slice(0, 1), constraints: [], edge_case_specifications: [edge('a')] })), 0.1 + 0.3 + 0.05);
  });
});

describe('refinement engine', () => {
  const improvements = [
    { kind: 'add_error_handling' as const, endpoint: 'classify', condition: 'text:empty', status: 422, code: 'TEXT_EMPTY', exampleInput: { text: '' } },
    { kind: 'add_constraint' as const, endpoint: 'classify', field: 'text', maxLength: 2000 },
    { kind: 'clarify_field' as const, endpoint: 'classify', field: 'day', schema: { type: 'string', format: 'date' } },
    { kind: 'add_edge_case' as const, endpoint: 'classify', condition: 'text:non_ascii', field: 'label', fallback: { label: 'unknown' } },
  ];

  test('applies improvements as the next version, raising completeness and clarity, and stays compatible', () => {
    const r = refineRequirements(document, improvements);
    assert.equal(r.toVersion, 2);
    assert.equal(r.applied.length, 4);
    assert.deepEqual(r.document.error_handling.map((e) => e.code).sort(), ['TEXT_EMPTY', 'TEXT_TOO_LONG']);
    assert.ok(r.completenessAfter > r.completenessBefore, `${r.completenessAfter} > ${r.completenessBefore}`);
    assert.ok(r.clarityAfter > r.clarityBefore);
    assert.equal(r.compatibility.compatible, true);
    assert.ok(r.compatibility.notes.includes('new limit: text max_length 2000'));
    assert.equal(document.version, 1, 'the previous version is left as it was');
  });

  test('an improvement the document already has is skipped, and a duplicate is applied once', () => {
    const once = refineRequirements(document, [...improvements, improvements[0]!]);
    assert.equal(once.applied.length, 4);
    const again = refineRequirements(once.document, improvements);
    assert.equal(again.applied.length, 0);
    assert.equal(again.skipped.length, 4);
  });

  test('removing an endpoint or a required response field, or changing a field type, is breaking', () => {
    const next = structuredClone(document);
    next.api_specification.endpoints[0]!.response_schema = { type: 'object', properties: { label: { type: 'number' } } };
    assert.deepEqual(checkCompatibility(document, next).breaking.sort(), [
      'classify: response field day removed',
      'classify: response field label changed type',
      'classify: response field label no longer required',
    ]);
    assert.deepEqual(checkCompatibility(document, { ...next, api_specification: { endpoints: [] } }).breaking, ['endpoint classify removed']);
  });
});
