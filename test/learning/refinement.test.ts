import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCompatibility, refineRequirements } from '../../src/learning/refinement.js';
import { parseRequirements } from '../../src/learning/requirements.js';
import { CLARITY_WEIGHTS, COMPLETENESS_WEIGHTS, clarityScore, completenessScore } from '../../src/learning/scores.js';
import { document } from './fixtures.js';

const endpoint = (id: string) => ({ id, method: 'POST' as const, path: `/${id}`, response_schema: { type: 'object' } });
const scenario = (id: string) => ({ id, description: id, then: 'ok' });
const edge = (id: string) => ({ id, area: 'input.text', condition: `text:${id}`, expected_behavior: 'x' });

describe('completeness score (spec 000 measure_completeness)', () => {
  test("the weights are the spec's", () => {
    assert.deepEqual(COMPLETENESS_WEIGHTS, {
      apiSpecification: 0.3,
      perEndpoint: 0.02,
      endpointsCap: 0.2,
      behavioralSpecifications: 0.2,
      perScenario: 0.01,
      scenariosCap: 0.1,
      edgeCaseSpecifications: 0.2,
    });
  });

  test('empty document scores 0; each term at its cap: 10 endpoints, 10 scenarios', () => {
    assert.equal(completenessScore(parseRequirements({ schema_version: 1, application: 'x', version: 1 })), 0);
    const doc = (endpoints: number, scenarios: number) =>
      parseRequirements({
        schema_version: 1,
        application: 'x',
        version: 1,
        api_specification: { endpoints: Array.from({ length: endpoints }, (_, i) => endpoint(`e${i}`)) },
        behavioral_specifications: { scenarios: Array.from({ length: scenarios }, (_, i) => scenario(`s${i}`)) },
        edge_case_specifications: [edge('empty')],
      });
    assert.equal(completenessScore(doc(10, 10)), 1);
    assert.equal(completenessScore(doc(20, 30)), 1);
    assert.equal(completenessScore(doc(9, 10)), 0.98);
    assert.equal(completenessScore(doc(10, 9)), 0.99);
  });

  test('one endpoint and one scenario: 0.3 + 0.02 + 0.2 + 0.01', () => {
    const doc = parseRequirements({
      schema_version: 1,
      application: 'x',
      version: 1,
      api_specification: { endpoints: [endpoint('a')] },
      behavioral_specifications: { scenarios: [scenario('s')] },
    });
    assert.equal(completenessScore(doc), 0.53);
  });

  test('every endpoint counts, whatever its response schema says', () => {
    const bare = { ...endpoint('b'), response_schema: {} };
    const doc = parseRequirements({
      schema_version: 1,
      application: 'x',
      version: 1,
      api_specification: { endpoints: [endpoint('a'), bare] },
    });
    assert.equal(completenessScore(doc), 0.34);
  });

  test('edge cases named on a scenario count as edge case specifications', () => {
    const doc = parseRequirements({
      schema_version: 1,
      application: 'x',
      version: 1,
      behavioral_specifications: { scenarios: [{ ...scenario('s'), edge_cases: ['empty'] }] },
    });
    assert.equal(completenessScore(doc), 0.41); // 0.2 + 0.01 + 0.2
  });
});

describe('clarity score (spec 000 measure_clarity)', () => {
  test("the weights are the spec's", () => {
    assert.deepEqual(CLARITY_WEIGHTS, {
      perExample: 0.03,
      examplesCap: 0.3,
      perSchema: 0.05,
      schemasCap: 0.3,
      perConstraint: 0.02,
      constraintsCap: 0.2,
      perEdgeCase: 0.02,
      edgeCasesCap: 0.2,
    });
  });

  test('examples 0.03 each up to 0.3, pinned fields 0.05 up to 0.3, constraints 0.02 up to 0.2, edge cases 0.02 up to 0.2', () => {
    const doc = (examples: number, pinned: number, loose: number, constraints: number, edges: number) => {
      const props = Object.fromEntries([
        ...Array.from({ length: pinned }, (_, i) => [`p${i}`, { type: 'string', format: 'date' }]),
        ...Array.from({ length: loose }, (_, i) => [`l${i}`, { type: 'string' }]),
      ]);
      return parseRequirements({
        schema_version: 1,
        application: 'x',
        version: 1,
        api_specification: { endpoints: [{ ...endpoint('e'), response_schema: { type: 'object', properties: props } }] },
        examples: Array.from({ length: examples }, () => ({ endpoint: 'e', input: {}, output: {} })),
        constraints: Array.from({ length: constraints }, (_, i) => ({ field: `f${i}`, kind: 'max_length' as const, value: 10 })),
        edge_case_specifications: Array.from({ length: edges }, (_, i) => edge(`c${i}`)),
      });
    };
    assert.equal(clarityScore(doc(0, 0, 3, 0, 0)), 0);
    assert.equal(clarityScore(doc(10, 6, 2, 10, 10)), 1);
    assert.equal(clarityScore(doc(15, 9, 0, 12, 11)), 1);
    assert.equal(clarityScore(doc(1, 0, 0, 0, 0)), 0.03);
    assert.equal(clarityScore(doc(0, 1, 4, 0, 0)), 0.05);
    assert.equal(clarityScore(doc(0, 0, 0, 1, 0)), 0.02);
    assert.equal(clarityScore(doc(0, 0, 0, 0, 1)), 0.02);
    assert.equal(clarityScore(doc(9, 5, 0, 9, 9)), 0.88); // 0.27 + 0.25 + 0.18 + 0.18
  });
});

describe('refinement engine', () => {
  const improvements = [
    {
      kind: 'add_error_handling' as const,
      endpoint: 'classify',
      condition: 'text:empty',
      status: 422,
      code: 'TEXT_EMPTY',
      exampleInput: { text: '' },
    },
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
    assert.deepEqual(checkCompatibility(document, { ...next, api_specification: { endpoints: [] } }).breaking, [
      'endpoint classify removed',
    ]);
  });
});
