import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeIncident } from '../../src/learning/incident-analyzer.js';
import type { Incident } from '../../src/learning/monitor.js';
import type { RequestOutcome } from '../../src/learning/outcomes.js';
import { parseRequirements } from '../../src/learning/requirements.js';
import { analyzeVariance } from '../../src/learning/variance.js';
import { document, outcome } from './fixtures.js';

function incident(type: Incident['type'], offending: RequestOutcome[], details: Record<string, string[]> = {}): Incident {
  return {
    key: `k-${type}`,
    application: 'app',
    variant: 'v1',
    requirementsVersion: 1,
    type,
    value: 0.5,
    threshold: 0.01,
    requestIds: offending.map((o) => o.requestId),
    details,
  };
}
const ctx = (outcomes: RequestOutcome[]) => ({ document, outcomes: new Map(outcomes.map((o) => [o.requestId, o])) });

/** The fixture document (which declares "day" as a bare string) without "day" in its response schema. */
const withoutDay = parseRequirements({
  ...document,
  api_specification: {
    endpoints: document.api_specification.endpoints.map((e) => ({
      ...e,
      response_schema: { ...e.response_schema, properties: { label: { type: 'string' } } },
    })),
  },
});

/** The baseline answers ISO dates, the other variant US dates, on the same five inputs. */
function dateDeviation(field: string) {
  const base = Array.from({ length: 5 }, (_, i) => outcome({ input: { text: `d${i}` }, output: { label: 'a', [field]: '2026-11-25' } }));
  const other = base.map((b) => outcome({ variant: 'v2', input: b.input, output: { label: 'a', [field]: '11/25/2026' } }));
  const variance = analyzeVariance({ application: 'app', baselineVariant: 'v1', variant: 'v2', baseline: base, candidate: other });
  const inc = { ...incident('behavioral_deviation', other, Object.fromEntries(other.map((o) => [o.requestId, [field]]))), variant: 'v2' };
  return { base, other, inc, variance };
}

describe('incident analyzer', () => {
  test('errors on inputs that share a trait are missing error handling, with a rule for that trait', () => {
    const failing = [outcome({ status: 'error', input: { text: '' } }), outcome({ status: 'error', input: { text: ' ' } })];
    const [d, ...rest] = analyzeIncident(incident('error_rate', failing), ctx(failing));
    assert.equal(rest.length, 0);
    assert.equal(d?.type, 'missing_error_handling_requirements');
    assert.equal(d.area, 'input.text');
    assert.deepEqual(d.improvement, {
      kind: 'add_error_handling',
      endpoint: 'classify',
      condition: 'text:empty',
      status: 422,
      code: 'TEXT_EMPTY',
      exampleInput: { text: '' },
    });
    assert.ok(d.evidence.some((e) => e.includes('2 of 2 failed requests have text:empty')));
  });

  test('errors on an endpoint the document does not define are a missing API specification', () => {
    const failing = [outcome({ status: 'error', endpoint: 'bulk' })];
    const [d] = analyzeIncident(incident('error_rate', failing), ctx(failing));
    assert.deepEqual(
      [d?.type, d?.area, d?.improvement],
      ['missing_api_specification', 'api.bulk', { kind: 'add_endpoint', endpoint: 'bulk' }],
    );
  });

  test('errors with nothing in common name the gap but suggest no change', () => {
    const failing = [outcome({ status: 'error', input: { text: 'plain' } }), outcome({ status: 'error', input: { text: 'Ünïcode' } })];
    const [d] = analyzeIncident(incident('error_rate', failing), ctx(failing));
    assert.deepEqual([d?.type, d?.area, d?.improvement], ['missing_error_handling_requirements', 'input', null]);
  });

  test('slow long inputs are a performance deficiency fixed by a length limit', () => {
    const slow = [outcome({ latencyMs: 2000, input: { text: 'x'.repeat(3000) } })];
    const [d] = analyzeIncident(incident('latency', slow), ctx(slow));
    assert.deepEqual(
      [d?.type, d?.area, d?.improvement],
      ['performance', 'input.text', { kind: 'add_constraint', endpoint: 'classify', field: 'text', maxLength: 2000 }],
    );
  });

  test('an undeclared field is an incomplete response specification; null on a shared trait is a missing edge case', () => {
    const extra = outcome({ output: { label: 'a', score: 0.5 } });
    const nulls = outcome({ input: { text: 'Привет' }, output: { label: null } });
    const details = {
      [extra.requestId]: ['/score|additionalProperties|/ must NOT have additional properties'],
      [nulls.requestId]: ['/label|type|/label must be string'],
    };
    const found = analyzeIncident(incident('contract_violation', [extra, nulls], details), ctx([extra, nulls]));
    assert.deepEqual(
      found.map((d) => [d.type, d.area, d.improvement]),
      [
        [
          'incomplete_response_specification',
          'response.score',
          { kind: 'add_response_property', endpoint: 'classify', field: 'score', schema: { type: 'number' } },
        ],
        [
          'missing_edge_case_specification',
          'response.label',
          { kind: 'add_edge_case', endpoint: 'classify', condition: 'text:non_ascii', field: 'label', fallback: { label: 'unknown' } },
        ],
      ],
    );
  });

  test('a deviation on a declared field the variants read differently is an ambiguous behavioral specification, clarified by example', () => {
    const { base, other, inc, variance } = dateDeviation('day');
    const [d] = analyzeIncident(inc, { ...ctx([...base, ...other]), variance });
    assert.equal(d?.type, 'ambiguous_behavioral_specification');
    assert.equal(d.area, 'response.day');
    assert.deepEqual(d.improvement, {
      kind: 'clarify_field',
      endpoint: 'classify',
      field: 'day',
      schema: { type: 'string', format: 'date' },
      example: { input: other[0]!.input, output: { day: '2026-11-25' } },
    });
  });

  test('a deviation on a field the response schema does not declare is a missing behavioral specification', () => {
    const { base, other, inc, variance } = dateDeviation('day');
    const [d] = analyzeIncident(inc, { ...ctx([...base, ...other]), document: withoutDay, variance });
    assert.equal(d?.type, 'missing_behavioral_specification');
    assert.equal(d.area, 'response.day');
    assert.equal(d.improvement?.kind, 'clarify_field');
  });

  test('a deviation no variance analysis explains is a missing behavioral specification with no fix', () => {
    const { base, other, inc } = dateDeviation('day');
    const [d] = analyzeIncident(inc, ctx([...base, ...other]));
    assert.deepEqual([d?.type, d?.improvement], ['missing_behavioral_specification', null]);
  });
});
