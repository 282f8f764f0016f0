import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextDocumentSchema } from '../../src/experiments/context-document.js';
import {
  contextGradient, contextsToAdd, dimensionGradients, learningRate, momentum, momentumUpdate,
} from '../../src/experiments/context-gradient.js';
import { updateContext } from '../../src/experiments/context-update.js';
import type { ExecutionFeedback } from '../../src/experiments/execution-feedback.js';

const fb = (f: Omit<ExecutionFeedback, 'problems'>, problems: ExecutionFeedback['problems'] = []): ExecutionFeedback => ({ ...f, problems });

test('compilation: 1 when the build succeeds, −errors/10 when not; a new compilation context only below −0.5', () => {
  assert.equal(dimensionGradients(fb({ compilation: { success: true, errors: 0 } })).compilation, 1);
  const five = contextGradient(fb({ compilation: { success: false, errors: 5 } }), []);
  assert.equal(five.dimensions.compilation, -0.5);
  assert.deepEqual(contextsToAdd(five), []);
  const six = contextGradient(fb({ compilation: { success: false, errors: 6 } }), []);
  assert.equal(six.dimensions.compilation, -0.6);
  assert.deepEqual(contextsToAdd(six), ['compilation']);
});

test('tests: 2·pass rate − 1; a new test context only below −0.3', () => {
  assert.equal(dimensionGradients(fb({ tests: { run: 4, passed: 4 } })).tests, 1);
  assert.equal(dimensionGradients(fb({ tests: { run: 4, passed: 0 } })).tests, -1);
  const atLine = contextGradient(fb({ tests: { run: 20, passed: 7 } }), []); // pass rate 0.35
  assert.equal(atLine.dimensions.tests, -0.3);
  assert.deepEqual(contextsToAdd(atLine), []);
  const below = contextGradient(fb({ tests: { run: 100, passed: 34 } }), []); // 0.34
  assert.equal(below.dimensions.tests, -0.32);
  assert.deepEqual(contextsToAdd(below), ['tests']);
  // No test ran: nothing to learn about tests.
  assert.equal(dimensionGradients(fb({ tests: { run: 0, passed: 0 } })).tests, undefined);
});

test('security: −(count + severity/10); a new security context only below −0.4', () => {
  const atLine = contextGradient(fb({ security: { count: 0, severity: 4 } }), []);
  assert.equal(atLine.dimensions.security, -0.4);
  assert.deepEqual(contextsToAdd(atLine), []);
  const one = contextGradient(fb({ security: { count: 1, severity: 7.5 } }), []);
  assert.equal(one.dimensions.security, -1.75);
  assert.deepEqual(contextsToAdd(one), ['security']);
});

test('performance is log speedup and quality −complexity/100 − duplication/100; neither adds a context', () => {
  const g = contextGradient(fb({ performance: { speedup: Math.E }, quality: { complexity: 250, duplication: 50 } }), []);
  assert.equal(g.dimensions.performance, 1);
  assert.equal(g.dimensions.quality, -3);
  assert.equal(dimensionGradients(fb({ performance: { speedup: 0.5 } })).performance, Math.log(0.5));
  assert.deepEqual(contextsToAdd(g), []);
});

test('per-feature gradients: 0.2 for a constraint whose failure is gone, 0.1 in success, −0.05 in failure, 0 unused', () => {
  const features = [
    { id: 'example-1', kind: 'general' as const },
    { id: 'tests:evt-1', kind: 'tests' as const },
    { id: 'compilation:evt-0', kind: 'compilation' as const },
  ];
  const clean = contextGradient(fb({ compilation: { success: true, errors: 0 }, tests: { run: 3, passed: 3 } }), features);
  assert.deepEqual(clean.features, { 'example-1': 0.1, 'tests:evt-1': 0.2, 'compilation:evt-0': 0.2 });
  const failing = contextGradient(fb({ compilation: { success: true, errors: 0 }, tests: { run: 3, passed: 2 } }), features);
  assert.deepEqual(failing.features, { 'example-1': -0.05, 'tests:evt-1': -0.05, 'compilation:evt-0': 0.2 });
  const partlyUsed = contextGradient(fb({ tests: { run: 3, passed: 3 }, featuresUsed: ['example-1'] }), features);
  assert.deepEqual(partlyUsed.features, { 'example-1': 0.1, 'tests:evt-1': 0, 'compilation:evt-0': 0 });
  const gatesFailed = contextGradient(fb({ compilation: { success: true, errors: 0 }, qualityGatesPassed: false }), features.slice(0, 1));
  assert.deepEqual(gatesFailed.features, { 'example-1': -0.05 });
});

test('momentum update: v ← 0.9·v + 0.01·g, w ← w + v, carried across updates', () => {
  assert.equal(learningRate, 0.01);
  assert.equal(momentum, 0.9);
  const g = { dimensions: { tests: -1 }, features: { 'example-1': 0.1 } };
  const first = momentumUpdate({ weights: {}, velocity: {} }, g);
  assert.deepEqual(first.velocity, { 'dimension:tests': -0.01, 'example-1': 0.001 });
  assert.deepEqual(first.weights, first.velocity);
  const second = momentumUpdate(first, g);
  assert.ok(Math.abs(second.velocity['dimension:tests']! - (0.9 * -0.01 + 0.01 * -1)) < 1e-15);
  assert.ok(Math.abs(second.weights['dimension:tests']! - (-0.01 + -0.019)) < 1e-15);
  assert.ok(Math.abs(second.weights['example-1']! - (0.001 + 0.0019)) < 1e-15);
});

test('a context update adds a constraint from the tools’ messages, once per event, and keeps before and after', () => {
  const ctx = contextDocumentSchema.parse({ template: 'Write the function.', examples: [{ id: 'ex-1', input: 'a', output: 'b' }] });
  const failing = fb({ tests: { run: 4, passed: 1 } }, [{ kind: 'tests', text: 'cart › applies the discount: 9 !== 8' }]);
  const update = updateContext(ctx, failing, 'evt-1');
  assert.deepEqual(update.addedConstraints, ['tests:evt-1']);
  assert.match(update.after.constraints[0]!.text, /applies the discount: 9 !== 8/);
  assert.equal(update.before.constraints.length, 0);
  assert.equal(update.score, -0.5);
  assert.equal(update.after.learning.weights['ex-1'], 0.01 * -0.05);
  const again = updateContext(update.after, failing, 'evt-1');
  assert.deepEqual(again.addedConstraints, []);
  assert.equal(again.after.constraints.length, 1);
});
