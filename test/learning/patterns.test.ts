import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectPatterns, similarity } from '../../src/learning/patterns.js';
import { finding } from './fixtures.js';

describe('pattern detector', () => {
  test('similarity is 0.3 same type + 0.3 same area + 0.4 same deficiency', () => {
    const a = finding({});
    assert.equal(similarity(a, finding({})), 1);
    assert.equal(similarity(a, finding({ type: 'performance' })), 0.6);
    assert.equal(similarity(a, finding({ incidentType: 'latency', area: 'input.other' })), 0.4);
    assert.equal(similarity(a, finding({ incidentType: 'latency' })), 0.7);
  });

  test('0.6 joins a cluster, 0.4 does not', () => {
    const base = finding({ incidentKey: 'i1' });
    const sameTypeAndArea = finding({ incidentKey: 'i2', type: 'performance' });
    const onlyDeficiency = finding({ incidentKey: 'i3', incidentType: 'latency', area: 'input.other' });
    const { clusters } = detectPatterns([base, sameTypeAndArea, onlyDeficiency]);
    assert.deepEqual(clusters.map((c) => c.map((f) => f.incidentKey)), [['i1', 'i2'], ['i3']]);
  });

  test('three similar incidents are a systematic issue, two are not; its fix merges their improvements', () => {
    const improvement = { kind: 'add_error_handling' as const, endpoint: 'e', condition: 'text:empty', status: 422, code: 'TEXT_EMPTY' };
    const f = (key: string, application = 'app') => finding({ incidentKey: key, application, improvement, improvementKey: 'k' });
    assert.deepEqual(detectPatterns([f('i1'), f('i2')]).systematicIssues, []);
    const [issue, ...rest] = detectPatterns([f('i1'), f('i2'), f('i3', 'other')]).systematicIssues;
    assert.equal(rest.length, 0);
    assert.deepEqual(issue?.incidentKeys, ['i1', 'i2', 'i3']);
    assert.deepEqual(issue?.applications, ['app', 'other']);
    assert.deepEqual(issue?.improvements, [improvement]);
    assert.equal(issue?.deficiencyType, 'missing_error_handling');
  });

  test('two findings of one incident count as one incident', () => {
    assert.deepEqual(detectPatterns([finding({ incidentKey: 'i1' }), finding({ incidentKey: 'i1' }), finding({ incidentKey: 'i2' })]).systematicIssues, []);
  });
});
