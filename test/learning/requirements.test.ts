import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ZodError } from 'zod';
import { contractViolations } from '../../src/learning/contract.js';
import { parseRequirements } from '../../src/learning/requirements.js';
import { document } from './fixtures.js';

describe('requirements documents', () => {
  test('a minimal document gets every section, empty', () => {
    const doc = parseRequirements({ schema_version: 1, application: 'x', version: 1 });
    assert.deepEqual(doc.api_specification.endpoints, []);
    assert.deepEqual(doc.behavioral_specifications.scenarios, []);
    assert.deepEqual([doc.edge_case_specifications, doc.error_handling, doc.examples, doc.constraints], [[], [], [], []]);
  });

  test('a response schema that is not a JSON Schema is refused, naming the endpoint field', () => {
    const bad = {
      schema_version: 1,
      application: 'x',
      version: 1,
      api_specification: { endpoints: [{ id: 'e', method: 'POST', path: '/e', response_schema: { type: 'no-such-type' } }] },
    };
    assert.throws(
      () => parseRequirements(bad),
      (err: unknown) => {
        assert.ok(err instanceof ZodError);
        assert.deepEqual(err.issues[0]?.path, ['api_specification', 'endpoints', 0, 'response_schema']);
        return true;
      },
    );
  });

  test('unknown sections and unversioned documents are refused', () => {
    assert.throws(() => parseRequirements({ schema_version: 2, application: 'x', version: 1 }), ZodError);
    assert.throws(() => parseRequirements({ schema_version: 1, application: 'x', version: 1, extras: {} }), ZodError);
  });
});

describe('API contract: outputs validated against the response schema (ajv)', () => {
  const schema = document.api_specification.endpoints[0]!.response_schema;

  test('a conforming output has no violations', () => {
    assert.deepEqual(contractViolations(schema, { label: 'a', day: '2026-11-25' }), []);
  });

  test('null where a string is required, a missing field and an undeclared field are each a violation at its path', () => {
    const found = contractViolations(schema, { label: null, extra: 1 }).map((v) => `${v.path} ${v.keyword}`);
    assert.deepEqual(found.sort(), ['/extra additionalProperties', '/label type']);
    assert.deepEqual(
      contractViolations(schema, {}).map((v) => v.keyword),
      ['required'],
    );
  });

  test('formats are checked (ajv-formats)', () => {
    const dated = { type: 'object', properties: { day: { type: 'string', format: 'date' } } };
    assert.equal(contractViolations(dated, { day: '11/25/2026' })[0]?.keyword, 'format');
    assert.deepEqual(contractViolations(dated, { day: '2026-11-25' }), []);
  });
});
