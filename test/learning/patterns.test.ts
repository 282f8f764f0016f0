import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentSystematicIssue, detectPatterns, similarity, type SystematicIssue } from '../../src/learning/patterns.js';
import type { Deficiency } from '../../src/learning/incident-analyzer.js';
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
    assert.deepEqual(
      clusters.map((c) => c.map((f) => f.incidentKey)),
      [['i1', 'i2'], ['i3']],
    );
  });

  test('three similar incidents are a systematic issue, two are not; its fix merges their improvements', () => {
    const improvement = { kind: 'add_error_handling' as const, endpoint: 'e', condition: 'text:empty', status: 422, code: 'TEXT_EMPTY' };
    const f = (key: string, application = 'app') => finding({ incidentKey: key, application, improvement, improvementKey: 'k' });
    assert.deepEqual(detectPatterns([f('i1'), f('i2')]).systematicIssues, []);
    const [issue, ...rest] = detectPatterns([f('i1'), f('i2'), f('i3', 'other')]).systematicIssues;
    assert.equal(rest.length, 0);
    assert.deepEqual(issue?.incidentKeys, ['i1', 'i2', 'i3']);
    assert.deepEqual(issue.applications, ['app', 'other']);
    assert.deepEqual(issue.improvements, [improvement]);
    assert.equal(issue.deficiencyType, 'missing_error_handling_requirements');
    assert.equal(issue.systematicImprovement, null);
  });

  test("the systematic improvement switches on the cluster's deficiency type as spec 000 design_systematic_improvement does", () => {
    const issue = (type: Deficiency['type']) =>
      detectPatterns(['i1', 'i2', 'i3'].map((incidentKey) => finding({ incidentKey, type }))).systematicIssues[0]?.systematicImprovement;
    assert.deepEqual(issue('missing_api_specification'), {
      improvementType: 'systematic_api_documentation',
      approach: 'require_api_spec_for_all_endpoints',
    });
    assert.deepEqual(issue('missing_edge_case_specification'), {
      improvementType: 'systematic_edge_case_analysis',
      approach: 'boundary_value_analysis',
    });
    assert.deepEqual(issue('ambiguous_behavioral_specification'), {
      improvementType: 'behavioral_specification_clarification',
      approach: 'example_based_specification',
    });
    for (const t of [
      'incomplete_response_specification',
      'missing_behavioral_specification',
      'missing_error_handling_requirements',
      'performance',
    ] as const)
      assert.equal(issue(t), null, t);
  });

  test("findings and issues an older worker recorded under the old name read under the spec's", () => {
    const legacy = 'missing_error_handling' as Deficiency['type'];
    const [issue] = detectPatterns(['i1', 'i2', 'i3'].map((incidentKey) => finding({ incidentKey, type: legacy }))).systematicIssues;
    assert.equal(issue?.deficiencyType, 'missing_error_handling_requirements');
    const old = { ...issue, deficiencyType: legacy, description: '3 incidents trace to missing error handling in input.text' };
    delete (old as Partial<SystematicIssue>).systematicImprovement;
    assert.deepEqual(currentSystematicIssue(old), {
      ...issue,
      description: '3 incidents trace to missing error handling requirements in input.text',
    });
    assert.equal(currentSystematicIssue(issue), issue);
  });

  test('two findings of one incident count as one incident', () => {
    assert.deepEqual(
      detectPatterns([finding({ incidentKey: 'i1' }), finding({ incidentKey: 'i1' }), finding({ incidentKey: 'i2' })]).systematicIssues,
      [],
    );
  });
});
