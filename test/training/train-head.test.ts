import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, predictHead } from '../../src/training/head.js';
import { trainHead, type TrainStep } from '../../src/training/train-head.js';
import { clusters } from './clusters.js';

const labels = ['alpha', 'beta', 'gamma', 'delta'];
// One draw around the same class centres, cut in two: the first 30 points per class train, the last 10 per class are
// held out. Disjoint by construction (points are drawn one after another), and checked below.
const drawn = clusters({ classes: 4, perClass: 40, dim: 384, spread: 0.08, seed: 1 });
const cut = 4 * 30;
const data = { embeddings: drawn.embeddings.slice(0, cut), targets: drawn.targets.slice(0, cut) };
const heldOut = { embeddings: drawn.embeddings.slice(cut), targets: drawn.targets.slice(cut) };
const settings = { epochs: 5, learningRate: 0.01, batchSize: 16, seed: 3, hiddenUnits: [16] };

async function accuracy(weights: Awaited<ReturnType<typeof trainHead>>['weights'], set: typeof data): Promise<number> {
  const p = await predictHead(weights, set.embeddings);
  return p.filter((row, i) => argmax(row) === set.targets[i]).length / p.length;
}

test('training learns separable classes and reports every optimizer step', async () => {
  const steps: TrainStep[] = [];
  const result = await trainHead({ ...data, labels, ...settings, onStep: (s) => void steps.push(s) });
  assert.equal(result.backend, 'wasm');
  assert.equal(result.steps, 5 * Math.ceil(120 / 16));
  assert.deepEqual(
    steps.map((s) => s.step),
    Array.from({ length: result.steps }, (_, i) => i + 1),
  );
  assert.equal(steps.at(-1)!.epoch, 4);
  assert.ok(result.losses.at(-1)! < result.losses[0]!, `loss fell: ${result.losses.join(',')}`);
  assert.deepEqual(result.weights.labels, labels);
  assert.deepEqual(
    result.weights.layers.map((l) => [l.inputDim, l.outputDim]),
    [
      [384, 16],
      [16, 4],
    ],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((c) => heldOut.targets.filter((t) => t === c).length),
    [10, 10, 10, 10],
  );
  const trained = new Set(data.embeddings.map((e) => e.join(',')));
  assert.ok(
    heldOut.embeddings.every((e) => !trained.has(e.join(','))),
    'no held-out point is a training point',
  );
  const heldOutAccuracy = await accuracy(result.weights, heldOut);
  assert.ok(heldOutAccuracy > 0.95, `held-out accuracy ${heldOutAccuracy}`);
});

test('the same seed trains the same weights; another seed does not', async () => {
  const a = await trainHead({ ...data, labels, ...settings });
  const b = await trainHead({ ...data, labels, ...settings });
  const c = await trainHead({ ...data, labels, ...settings, seed: 4 });
  assert.deepEqual(a.weights, b.weights);
  assert.notDeepEqual(a.weights.layers[0]!.kernel, c.weights.layers[0]!.kernel);
});

test('fine-tuning starts from the given weights and keeps their architecture', async () => {
  const base = await trainHead({ ...data, labels, ...settings });
  const tuned = await trainHead({ ...data, labels, ...settings, epochs: 1, hiddenUnits: [], initialWeights: base.weights });
  assert.deepEqual(
    tuned.weights.layers.map((l) => l.outputDim),
    [16, 4],
    'hiddenUnits applies to fresh heads only',
  );
  const fresh = await trainHead({ ...data, labels, ...settings, epochs: 1 });
  assert.ok(tuned.losses[0]! < fresh.losses[0]! / 2, `tuned ${String(tuned.losses[0])} vs fresh ${String(fresh.losses[0])}`);
  await assert.rejects(
    trainHead({ ...data, labels: ['a', 'b', 'c', 'd'], ...settings, initialWeights: base.weights }),
    /initial weights are for labels \[alpha, beta, gamma, delta\]/,
  );
});

test('bad training input is refused with the reason', async () => {
  await assert.rejects(trainHead({ embeddings: [], targets: [], labels, ...settings }), /no training examples/);
  await assert.rejects(trainHead({ ...data, targets: data.targets.map(() => 7), labels, ...settings }), /target 0 is 7/);
  await assert.rejects(trainHead({ ...data, labels, ...settings, learningRate: 0 }), /invalid training settings: learningRate/);
  await assert.rejects(
    trainHead({
      ...data,
      labels,
      ...settings,
      onStep: () => {
        throw new Error('cancelled');
      },
    }),
    /cancelled/,
  );
});
