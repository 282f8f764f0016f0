import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { applyImprovements, maxConstraintsPerType, pipelineImprovements } from '../../src/execution-feedback/ci-pipeline.js';
import { contextDocumentSchema } from '../../src/models/context-document.js';
import { updateContext } from '../../src/execution-feedback/context-update.js';
import { ciEnvelopeSchema, feedbackFromEnvelope, feedbackFromFindings, feedbackFromTests } from '../../src/execution-feedback/feedback.js';
import { parseJUnit } from '../../src/execution-feedback/junit.js';
import { parseSarif } from '../../src/execution-feedback/sarif.js';

// Spec 002, integrate_with_pipeline: "Learn from each stage" — a failed build, failed tests, failed quality gates and
// any static-analysis issue each produce an improvement; deployment status and production metrics are collected.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url), 'utf8');
const envelope = (fields: Record<string, unknown>) =>
  feedbackFromEnvelope(
    ciEnvelopeSchema.parse({
      contextId: 'ctx',
      task: 't',
      build: { success: true, errors: [] },
      qualityGates: { passed: true, violations: [] },
      ...fields,
    }),
  );
const emptyContext = contextDocumentSchema.parse({});

test('a failed build with one error learns too (the learning step adds a context only past five errors)', () => {
  const fb = envelope({ build: { success: false, errors: ["src/cart.ts(3,5): error TS2304: Cannot find name 'fee'."] } });
  assert.deepEqual(updateContext(emptyContext, fb, 'evt-1').addedConstraints, [], 'gradient −0.1 is above the −0.5 line');
  const [improvement, ...rest] = pipelineImprovements(fb);
  assert.equal(rest.length, 0);
  assert.equal(improvement!.type, 'build_failure');
  assert.deepEqual(improvement!.issues, ['build_errors']);
  assert.deepEqual(improvement!.evidence, ["src/cart.ts(3,5): error TS2304: Cannot find name 'fee'."]);
  const applied = applyImprovements(emptyContext, [improvement!], fb, 'evt-1');
  assert.deepEqual(applied.constraintIds, ['build_failure:evt-1']);
  const constraint = applied.document.constraints[0]!;
  assert.equal(constraint.kind, 'compilation');
  assert.match(constraint.text, /make sure the code compiles/);
  assert.match(constraint.text, /Cannot find name 'fee'/);
});

test("build errors are classified by the spec's words: 'dependency' → missing_dependencies, 'version' → version_mismatch", () => {
  const fb = envelope({
    build: {
      success: false,
      errors: ['npm ERR! Could not resolve dependency: peer react@"^18"', 'error: requires a newer version of typescript', 'syntax error'],
    },
  });
  const [build] = pipelineImprovements(fb);
  assert.deepEqual(build!.issues, ['missing_dependencies', 'version_mismatch', 'build_errors']);
  assert.deepEqual(Object.keys(build!.contextAdditions), ['dependencies', 'version_constraints', 'build_errors']);
  assert.match(build!.contextAdditions.version_constraints!, /package>=1\.0\.0,<2\.0\.0/);
});

test('failed tests learn whatever the pass rate, categorised as error handling, edge cases or plain failures', () => {
  const junit = feedbackFromTests(parseJUnit(fixture('junit-node.xml'))); // 1 of 3 passed
  const [fromJunit] = pipelineImprovements(junit);
  assert.equal(fromJunit!.type, 'test_failure');
  // "reads the coupon" failed reading a property of undefined: an edge of the input; the other is a plain failure.
  assert.deepEqual(fromJunit!.issues, ['failed_tests', 'edge_cases']);
  assert.equal(fromJunit!.evidence.length, 2);

  const oneOfTwenty = {
    tests: { run: 20, passed: 19 },
    problems: [
      { kind: 'tests' as const, text: 'cart › rejects an invalid coupon: expected throw', test: 'cart › rejects an invalid coupon' },
    ],
  };
  const [mostlyPassing] = pipelineImprovements(oneOfTwenty);
  assert.deepEqual(mostlyPassing!.issues, ['error_handling'], "pass rate 0.95 is far above the update step's line, and still learns");
  assert.deepEqual(pipelineImprovements({ tests: { run: 3, passed: 3 }, problems: [] }), []);
});

test("quality gates: complexity and duplication get the spec's additions, other rules are named; a passed gate learns nothing", () => {
  const fb = envelope({
    qualityGates: {
      passed: false,
      violations: [{ rule: 'complexity', value: 31, threshold: 15 }, { rule: 'code_duplication', value: 12 }, 'coverage below 80%'],
    },
  });
  const [gate] = pipelineImprovements(fb);
  assert.equal(gate!.type, 'quality_gate');
  assert.deepEqual(gate!.issues, ['complexity', 'code_duplication', 'quality_gate']);
  assert.deepEqual(Object.keys(gate!.contextAdditions), ['complexity', 'DRY_principle', 'quality_gates']);
  assert.match(gate!.contextAdditions.complexity!, /complexity at most 15/);
  assert.deepEqual(gate!.evidence, ['complexity = 31 (threshold 15)', 'code_duplication = 12', 'coverage below 80%']);
  assert.deepEqual(pipelineImprovements(envelope({ qualityGates: { passed: true, violations: ['a note'] } })), []);
  const unnamed = pipelineImprovements(envelope({ qualityGates: { passed: false, violations: [] } }));
  assert.deepEqual(
    unnamed.map((i) => [i.type, i.issues, Object.keys(i.contextAdditions)]),
    [['quality_gate', ['quality_gate'], ['quality_gates']]],
  );
});

test('every static-analysis issue learns, not only security findings', () => {
  const lint = feedbackFromFindings(parseSarif(fixture('eslint.sarif'))); // four findings, none security
  assert.deepEqual(lint.security, { count: 0, severity: 0 });
  const [analysis] = pipelineImprovements(lint);
  assert.equal(analysis!.type, 'static_analysis');
  assert.deepEqual(analysis!.issues, ['no-unused-vars', 'no-cond-assign', 'no-constant-condition', 'no-undef']);
  assert.deepEqual(Object.keys(analysis!.contextAdditions), ['static_analysis']);
  const applied = applyImprovements(emptyContext, [analysis!], lint, 'lint-1');
  assert.equal(applied.document.constraints[0]!.kind, 'general');

  const log = JSON.parse(fixture('eslint.sarif'));
  log.runs[0].tool.driver.rules[3].properties = { tags: ['security'], 'security-severity': '8.1' };
  const mixed = feedbackFromFindings(parseSarif(log));
  const [both] = pipelineImprovements(mixed);
  assert.deepEqual(Object.keys(both!.contextAdditions), ['security', 'static_analysis']);
  assert.equal(applyImprovements(emptyContext, [both!], mixed, 'lint-2').document.constraints[0]!.kind, 'security');
});

test("one event with every stage failing gives four records in the spec's order; deployment and production metrics are kept", () => {
  const fb = envelope({
    build: { success: false, errors: ['missing dependency left-pad'] },
    qualityGates: { passed: false, violations: [{ rule: 'complexity', value: 20 }] },
    deployment: { success: false, environment: 'staging', rolledBack: true },
    productionMetrics: { errorRate: 0.04, latencyP99Ms: 820 },
  });
  const withAll = {
    ...fb,
    tests: { run: 2, passed: 1 },
    problems: [
      ...fb.problems,
      { kind: 'tests' as const, text: 'a › b: boom', test: 'a › b' },
      { kind: 'static-analysis' as const, text: 'no-undef: x', rule: 'no-undef' },
    ],
  };
  assert.deepEqual(
    pipelineImprovements(withAll).map((i) => i.type),
    ['build_failure', 'test_failure', 'quality_gate', 'static_analysis'],
  );
  assert.deepEqual(fb.deployment, { success: false, environment: 'staging', rolledBack: true });
  assert.deepEqual(fb.productionMetrics, { errorRate: 0.04, latencyP99Ms: 820 });
  const bad = ciEnvelopeSchema.safeParse({
    contextId: 'c',
    task: 't',
    build: { success: true, errors: [] },
    qualityGates: { passed: true, violations: [] },
    productionMetrics: { p99: 'slow' },
  });
  assert.equal(bad.success, false);
});

test('an improvement for a failure the learning step already added a constraint for goes into that constraint', () => {
  const fb = {
    tests: { run: 10, passed: 2 },
    problems: [{ kind: 'tests' as const, text: 'cart › handles an empty cart: expected 0', test: 'cart › handles an empty cart' }],
  };
  const step = updateContext(emptyContext, fb, 'evt-9');
  assert.deepEqual(step.addedConstraints, ['tests:evt-9']);
  const applied = applyImprovements(step.after, pipelineImprovements(fb), fb, 'evt-9');
  assert.deepEqual(applied.constraintIds, ['tests:evt-9']);
  assert.equal(applied.document.constraints.length, 1);
  const text = applied.document.constraints[0]!.text;
  assert.match(text, /Handle edge cases explicitly/);
  assert.equal(text.split('handles an empty cart').length - 1, 1, 'the failing test is listed once');
});

test(`a context keeps the newest ${maxConstraintsPerType} constraints of each improvement type; ids stay valid feature ids`, () => {
  let doc = emptyContext;
  const fb = envelope({ build: { success: false, errors: ['e'] } });
  for (let n = 0; n < maxConstraintsPerType + 3; n++) doc = applyImprovements(doc, pipelineImprovements(fb), fb, `build/${n}`).document;
  const ids = doc.constraints.map((c) => c.id);
  assert.equal(ids.length, maxConstraintsPerType);
  assert.equal(ids[0], 'build_failure:build_3');
  assert.equal(ids.at(-1), `build_failure:build_${maxConstraintsPerType + 2}`);
  assert.doesNotThrow(() => contextDocumentSchema.parse(doc));
});
