import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSplits } from '../../src/reference/build.js';
import { generateRequirements } from '../../src/reference/generator.js';
import { checkOutput, templateNames, templates } from '../../src/reference/task.js';

test('the generator gives the same requirements for a seed and different ones for another', () => {
  const a = generateRequirements({ seed: 1, count: 50 });
  assert.deepEqual(a, generateRequirements({ seed: 1, count: 50 }));
  assert.notDeepEqual(
    a.map((r) => r.text),
    generateRequirements({ seed: 2, count: 50 }).map((r) => r.text),
  );
});

test('drifted phrasing says the same needs in other words', () => {
  const standard = generateRequirements({ seed: 5, count: 200 });
  const drifted = generateRequirements({ seed: 5, count: 200, phrasing: 'drifted' });
  assert.deepEqual(
    drifted.map((r) => [r.template, r.needs]),
    standard.map((r) => [r.template, r.needs]),
  );
  assert.ok(drifted.every((r) => r.phrasing === 'drifted'));
  const standardTexts = new Set(standard.map((r) => r.text));
  assert.equal(drifted.filter((r) => standardTexts.has(r.text)).length, 0);
});

test('every generated requirement has exactly one template that passes all its checks, its own', () => {
  for (const phrasing of ['standard', 'drifted'] as const) {
    for (const r of generateRequirements({ seed: 11, count: 500, phrasing })) {
      const passing = templateNames.filter((t) => checkOutput(r, t).testPassRate === 1);
      assert.deepEqual(passing, [r.template], r.text);
      assert.ok(r.needs.length >= Math.min(2, templates[r.template].length));
      assert.doesNotMatch(r.text, /[{}]/, 'every placeholder is filled');
    }
  }
});

test('requirements cover every template and vary in wording', () => {
  const rs = generateRequirements({ seed: 3, count: 1000 });
  assert.deepEqual(new Set(rs.map((r) => r.template)), new Set(templateNames));
  assert.ok(new Set(rs.map((r) => r.text)).size > 950, 'nearly every generated text is new');
});

test('no held-out requirement repeats a training text', () => {
  const { train, heldOut, drifted } = referenceSplits(7);
  const seen = new Set(train.map((r) => r.text));
  assert.equal(heldOut.filter((r) => seen.has(r.text)).length, 0);
  assert.ok(heldOut.length > 0 && drifted.length > 0);
  assert.ok(drifted.every((r) => r.phrasing === 'drifted') && heldOut.every((r) => r.phrasing === 'standard'));
});
