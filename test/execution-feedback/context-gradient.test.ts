import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextDocumentSchema } from '../../src/models/context-document.js';
import {
  contextGradient,
  contextsToAdd,
  dimensionGradients,
  learningRate,
  momentum,
  momentumUpdate,
} from '../../src/execution-feedback/context-gradient.js';
import { updateContext } from '../../src/execution-feedback/context-update.js';
import { applyContext } from '../../src/models/context-input.js';
import type { ExecutionFeedback } from '../../src/execution-feedback/feedback.js';

const fb = (f: Omit<ExecutionFeedback, 'problems'>, problems: ExecutionFeedback['problems'] = []): ExecutionFeedback => ({
  ...f,
  problems,
});

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

test('momentum update, as the specs’ ContextUpdateStrategy: m ← 0.9·m + (1 − 0.9)·g, then w ← w + 0.01·m, per feature, carried across updates', () => {
  assert.equal(learningRate, 0.01);
  assert.equal(momentum, 0.9);
  const g = { dimensions: { tests: -1 }, features: { 'example-1': 0.1, 'tests:evt-1': -0.05 } };
  const first = momentumUpdate({ weights: {}, momentum: {} }, g);
  const near = (actual: number | undefined, expected: number) => {
    assert.ok(Math.abs(actual! - expected) < 1e-15, `${String(actual)} ≠ ${expected}`);
  };
  near(first.momentum['example-1'], 0.01); // 0.9·0 + 0.1·0.1
  near(first.momentum['tests:evt-1'], -0.005);
  near(first.weights['example-1'], 0.0001); // 0 + 0.01·0.01
  near(first.weights['tests:evt-1'], -0.00005);
  // Dimensions are no feature: they act by adding contexts (contextsToAdd), and keep no momentum.
  assert.deepEqual(Object.keys(first.momentum).sort(), ['example-1', 'tests:evt-1']);
  const second = momentumUpdate(first, g);
  near(second.momentum['example-1'], 0.9 * 0.01 + 0.1 * 0.1); // 0.019
  near(second.weights['example-1'], 0.0001 + 0.01 * 0.019);
  near(second.momentum['tests:evt-1'], 0.9 * -0.005 + 0.1 * -0.05);
  // A feature the next event did not use (gradient 0) keeps decaying its momentum and still moves its weight.
  const third = momentumUpdate(second, { dimensions: {}, features: { 'example-1': 0 } });
  near(third.momentum['example-1'], 0.9 * 0.019);
  near(third.weights['example-1'], 0.0001 + 0.00019 + 0.01 * 0.9 * 0.019);
  assert.equal(third.momentum['tests:evt-1'], second.momentum['tests:evt-1']);
});

test('a context stored under the earlier update (velocity) reads back as the specs’ momentum: m = 10·v and w/10 exactly, no dimensions', () => {
  // Three events' feature gradients under v ← 0.9·v + 0.01·g, w ← w + v, against the specs' update from nothing.
  const grads = [0.1, -0.05, 0.2];
  let v = 0;
  let w = 0;
  let specs: { weights: Record<string, number>; momentum: Record<string, number> } = { weights: {}, momentum: {} };
  for (const g of grads) {
    v = 0.9 * v + 0.01 * g;
    w += v;
    specs = momentumUpdate(specs, { dimensions: {}, features: { 'ex-1': g } });
  }
  const stored = contextDocumentSchema.parse({
    learning: { weights: { 'ex-1': w, 'dimension:tests': -0.03 }, velocity: { 'ex-1': v, 'dimension:tests': -0.01 } },
  });
  assert.deepEqual(Object.keys(stored.learning), ['weights', 'momentum']);
  assert.ok(Math.abs(stored.learning.momentum['ex-1']! - specs.momentum['ex-1']!) < 1e-15);
  assert.ok(Math.abs(stored.learning.weights['ex-1']! - specs.weights['ex-1']!) < 1e-15);
  assert.deepEqual(Object.keys(stored.learning.weights), ['ex-1']);
  // A document in today's form is read as it is.
  const today = { weights: { 'ex-1': 0.5 }, momentum: { 'ex-1': 0.25 } };
  assert.deepEqual(contextDocumentSchema.parse({ learning: today }).learning, today);
});

test('feature weights are read back when the next context is built: the helpful constraint is put first, the harmful last', () => {
  const ctx = contextDocumentSchema.parse({
    template: '{constraints} | {input}',
    constraints: [
      { id: 'misleading', text: 'Prefer global state.' },
      { id: 'neutral', text: 'Name things clearly.' },
      { id: 'helpful', text: 'Validate every input.' },
    ],
  });
  // Nothing learned yet: the document's order.
  assert.equal(applyContext('build it', ctx), 'Prefer global state. Name things clearly. Validate every input. | build it');
  // CI events: the runs that used "helpful" passed, the runs that used "misleading" failed, "neutral" was not used.
  let doc = ctx;
  for (let i = 0; i < 3; i++) {
    doc = updateContext(doc, fb({ tests: { run: 4, passed: 4 }, featuresUsed: ['helpful'] }), `pass-${i}`).after;
    doc = updateContext(doc, fb({ tests: { run: 4, passed: 3 }, featuresUsed: ['misleading'] }), `fail-${i}`).after;
  }
  const { weights } = doc.learning;
  assert.ok(weights.helpful! > 0 && weights.misleading! < 0 && weights.neutral === 0, JSON.stringify(weights));
  assert.equal(applyContext('build it', doc), 'Validate every input. Name things clearly. Prefer global state. | build it');
  // The weights are read from the stored document: a copy of it through JSON (the contexts table) builds the same.
  assert.equal(applyContext('build it', contextDocumentSchema.parse(JSON.parse(JSON.stringify(doc)))), applyContext('build it', doc));
});

test('of two example phrases of the same length the one with the heavier learned weight rewrites first', () => {
  const examples = [
    { id: 'old', input: 'a list of {es}', output: 'GET /{es}' },
    { id: 'new', input: 'a list of {e}s', output: 'GET /{e}s?page={n}' },
  ];
  const plain = contextDocumentSchema.parse({ examples });
  assert.equal(applyContext('show a list of orders', plain), 'show GET /orders');
  const learned = contextDocumentSchema.parse({ examples, learning: { weights: { new: 0.002, old: -0.001 }, momentum: {} } });
  assert.equal(applyContext('show a list of orders', learned), 'show GET /orders?page=a few');
});

test('a context update adds a constraint from the tools’ messages, once per event, and keeps before and after', () => {
  const ctx = contextDocumentSchema.parse({ template: 'Write the function.', examples: [{ id: 'ex-1', input: 'a', output: 'b' }] });
  const failing = fb({ tests: { run: 4, passed: 1 } }, [{ kind: 'tests', text: 'cart › applies the discount: 9 !== 8' }]);
  const update = updateContext(ctx, failing, 'evt-1');
  assert.deepEqual(update.addedConstraints, ['tests:evt-1']);
  assert.match(update.after.constraints[0]!.text, /applies the discount: 9 !== 8/);
  assert.equal(update.before.constraints.length, 0);
  assert.equal(update.score, -0.5);
  // m = 0.1 · −0.05, w = 0.01 · m
  assert.ok(Math.abs(update.after.learning.weights['ex-1']! - 0.01 * 0.1 * -0.05) < 1e-18);
  const again = updateContext(update.after, failing, 'evt-1');
  assert.deepEqual(again.addedConstraints, []);
  assert.equal(again.after.constraints.length, 1);
});
