import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/training/random.js';
import { sampleLabels } from '../../src/models/sampling.js';

const labels = ['a', 'b', 'c'];
const probabilities = [0.6, 0.3, 0.1];
const shares = (samples: string[]) => labels.map((l) => samples.filter((s) => s === l).length / samples.length);

test('temperature 0 always gives the top label', () => {
  const out = sampleLabels({ probabilities, labels, temperature: 0, count: 50, rand: seededRandom(1) });
  assert.deepEqual(new Set(out), new Set(['a']));
});

test('temperature 1 samples the model distribution, higher temperatures flatten it, lower sharpen it', () => {
  const draw = (temperature: number) => shares(sampleLabels({ probabilities, labels, temperature, count: 20_000, rand: seededRandom(2) }));
  const t1 = draw(1);
  probabilities.forEach((p, i) => {
    assert.ok(Math.abs(t1[i]! - p) < 0.015, `label ${String(labels[i])}: ${String(t1[i])} vs ${p}`);
  });
  const hot = draw(3);
  assert.ok(hot[2]! > 0.2 && hot[0]! < 0.5, `T=3 gives the weakest label more: ${hot.join(',')}`);
  const cold = draw(0.25);
  assert.ok(cold[0]! > 0.9, `T=0.25 concentrates on the top label: ${cold.join(',')}`);
});

test('labels with zero probability are never sampled, and bad input is refused', () => {
  const out = sampleLabels({ probabilities: [0.5, 0, 0.5], labels, temperature: 2, count: 2_000, rand: seededRandom(3) });
  assert.ok(!out.includes('b'));
  assert.throws(
    () => sampleLabels({ probabilities: [1, 0], labels, temperature: 1, count: 1, rand: Math.random }),
    /2 probabilities for 3 labels/,
  );
  assert.throws(() => sampleLabels({ probabilities, labels, temperature: -1, count: 1, rand: Math.random }), /temperature/);
  assert.throws(() => sampleLabels({ probabilities: [0, 0, 0], labels, temperature: 1, count: 1, rand: Math.random }), /all zero/);
});
