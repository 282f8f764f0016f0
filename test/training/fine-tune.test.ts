import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../src/training/random.js';
import {
  defaultLearningRate,
  fineTune,
  parseSettings,
  runFineTuneSettings,
  specFineTuneSettings,
  type BatchProgress,
} from '../../src/training/fine-tune.js';
import { argmax, initialHead, predictHead } from '../../src/training/head.js';
import { clusters } from './clusters.js';
import { resumeTestRun } from './resume-run.js';

test("the specs' configuration is the default: 5 epochs (3 in an emergency), batch 2, accumulation 4, lr 1e-6 decaying to 0 over the run", () => {
  const settings = specFineTuneSettings();
  assert.deepEqual(
    { ...settings },
    {
      epochs: 5,
      batchSize: 2,
      gradientAccumulationSteps: 4,
      learningRate: 1e-6,
      warmupSteps: 10,
      trainingSteps: null,
      maxGradNorm: 0.5,
      weightDecay: 0.01,
      earlyStoppingPatience: 2,
      validationShare: 0.2,
      seed: 0,
    },
  );
  assert.equal(specFineTuneSettings({ emergency: true }).epochs, 3);
  assert.equal(specFineTuneSettings({ emergency: true, overrides: { learningRate: 1e-3 } }).learningRate, 1e-3);
  assert.throws(() => parseSettings({ batchSize: 0 }), /invalid fine-tuning settings: batchSize/);
});

test("a run's learning rate: its hyperparameters', else LEARNLOOP_TRAINING_LR, else the specs' 1e-6 for a command trainer and 3e-3 for the reference head", () => {
  assert.equal(defaultLearningRate('command'), 1e-6);
  assert.equal(defaultLearningRate('tfjs'), 3e-3);
  // Nothing configured: the trainer decides, with the rest of the specs' settings (3 epochs for an emergency).
  const llm = runFineTuneSettings({ trainer: 'command', emergency: true });
  assert.deepEqual({ ...llm }, { ...specFineTuneSettings({ emergency: true }), learningRate: 1e-6 });
  assert.equal(runFineTuneSettings({ trainer: 'tfjs' }).learningRate, 3e-3);
  // The deployment's LEARNLOOP_TRAINING_LR applies to every trainer; a run's own hyperparameters win over it.
  assert.equal(runFineTuneSettings({ trainer: 'command', configuredLearningRate: 3e-3 }).learningRate, 3e-3);
  assert.equal(runFineTuneSettings({ trainer: 'tfjs', configuredLearningRate: 1e-6 }).learningRate, 1e-6);
  assert.equal(
    runFineTuneSettings({ trainer: 'tfjs', configuredLearningRate: 1e-6, hyperparameters: { learningRate: 1e-4 } }).learningRate,
    1e-4,
  );
  assert.equal(runFineTuneSettings({ trainer: 'command', hyperparameters: { epochs: 2 } }).epochs, 2);
});

test('every micro-batch heartbeats, and an optimizer step is taken every 4 micro-batches of 2', async () => {
  const run = resumeTestRun();
  const base = initialHead({ inputDim: run.dim, hiddenUnits: [16], labels: run.labels, rand: seededRandom(5) });
  const beats: BatchProgress[] = [];
  const result = await fineTune({ base, examples: run.examples, settings: run.settings, onBatch: (b) => void beats.push(b) });
  // 60 examples: 12 validate, 48 train = 24 micro-batches = 6 optimizer steps per epoch.
  assert.equal(result.validationExamples, 12);
  assert.equal(result.trainingExamples, 48);
  assert.equal(result.steps, 4 * 6);
  assert.equal(beats.length, 4 * 24);
  assert.deepEqual(
    beats.slice(0, 9).map((b) => b.step),
    [0, 0, 0, 0, 1, 1, 1, 1, 2],
  );
  assert.deepEqual(
    beats.filter((b) => b.batch === 0).map((b) => [b.epoch, b.step]),
    [
      [0, 0],
      [1, 6],
      [2, 12],
      [3, 18],
    ],
  );
  // The schedule spans the run's 24 steps: up over the 10 warm-up steps from 0, down to 1/14 of lr 1e-2 at step 23.
  assert.equal(result.scheduledSteps, 24);
  const rateAt = (step: number) => beats.find((b) => b.step === step)!.learningRate;
  assert.deepEqual([0, 5, 10].map(rateAt), [0, 5e-3, 1e-2]);
  assert.ok(Math.abs(rateAt(17) - 1e-2 * (7 / 14)) < 1e-15 && Math.abs(rateAt(23) - 1e-2 / 14) < 1e-15, `${rateAt(17)} ${rateAt(23)}`);
  assert.ok(
    beats.every((b) => beats.filter((o) => o.step === b.step).every((o) => o.learningRate === b.learningRate)),
    'one rate per optimizer step',
  );
  assert.equal(result.backend, 'wasm');
  assert.ok(result.losses.at(-1)! < result.losses[0]!, `training loss fell: ${result.losses.join(',')}`);
  assert.ok(result.validationLosses.at(-1)! < result.validationLosses[0]!, `validation loss fell: ${result.validationLosses.join(',')}`);
  assert.deepEqual(result.weights.labels, run.labels);
});

test('fine-tuning starts from the given weights: a good base stays good, and a shifted task is learned', async () => {
  const labels = ['alpha', 'beta', 'gamma'];
  const dim = 32;
  const original = clusters({ classes: 3, perClass: 30, dim, spread: 0.2, seed: 21 });
  const asExamples = (d: typeof original, weight = 1) =>
    d.embeddings.map((embedding, i) => ({ embedding, label: labels[d.targets[i]!]!, weight }));
  const accuracy = async (weights: Awaited<ReturnType<typeof fineTune>>['weights'], d: typeof original) =>
    (await predictHead(weights, d.embeddings)).filter((p, i) => argmax(p) === d.targets[i]).length / d.embeddings.length;
  const fresh = initialHead({ inputDim: dim, hiddenUnits: [], labels, rand: seededRandom(1) });
  const settings = parseSettings({ epochs: 20, learningRate: 5e-2, earlyStoppingPatience: 20, warmupSteps: 0 });
  const base = await fineTune({ base: fresh, examples: asExamples(original), settings });
  assert.equal(await accuracy(base.weights, original), 1);
  // The classes swap their names: the base is wrong on all of them until fine-tuned.
  const swapped = { ...original, targets: original.targets.map((t) => (t + 1) % 3) };
  assert.equal(await accuracy(base.weights, swapped), 0);
  const tuned = await fineTune({ base: base.weights, examples: asExamples(swapped), settings: { ...settings, epochs: 20 } });
  assert.equal(await accuracy(tuned.weights, swapped), 1);
});

test('sample weights decide between contradicting labels: the heavier examples win', async () => {
  const labels = ['keep', 'drop'];
  const data = clusters({ classes: 1, perClass: 40, dim: 16, spread: 0.05, seed: 4 });
  const base = initialHead({ inputDim: 16, hiddenUnits: [], labels, rand: seededRandom(2) });
  const settings = parseSettings({ epochs: 10, learningRate: 5e-2, earlyStoppingPatience: 10, warmupSteps: 0 });
  const label = (heavy: string, light: string) =>
    data.embeddings.map((embedding, i) => ({ embedding, label: i % 2 === 0 ? heavy : light, weight: i % 2 === 0 ? 3 : 1 }));
  for (const [heavy, light] of [
    ['keep', 'drop'],
    ['drop', 'keep'],
  ] as const) {
    const { weights } = await fineTune({ base, examples: label(heavy, light), settings });
    const p = await predictHead(weights, data.embeddings.slice(0, 5));
    // The weighted optimum is 3:1, i.e. p(heavy) = 0.75.
    p.forEach((row) => {
      assert.ok(row[labels.indexOf(heavy)]! > 0.6, `p(${heavy}) = ${String(row[labels.indexOf(heavy)])}`);
    });
  }
});

test('early stopping ends training two epochs after the validation loss last improved and returns the best weights', async () => {
  // Random vectors with random labels: nothing generalises, so memorising the training split soon raises the
  // validation loss.
  const rand = seededRandom(8);
  const labels = ['a', 'b', 'c', 'd'];
  const examples = Array.from({ length: 80 }, () => ({
    embedding: Float32Array.from({ length: 64 }, () => rand() * 2 - 1),
    label: labels[Math.floor(rand() * 4)]!,
    weight: 1,
  }));
  const base = initialHead({ inputDim: 64, hiddenUnits: [64], labels, rand: seededRandom(3) });
  const result = await fineTune({ base, examples, settings: parseSettings({ epochs: 30, learningRate: 2e-2 }) });
  assert.equal(result.stoppedEarly, true, `validation losses ${result.validationLosses.join(',')}`);
  assert.equal(result.epochsRun, result.bestEpoch + 1 + 2);
  const best = result.validationLosses[result.bestEpoch]!;
  assert.equal(Math.min(...result.validationLosses), best);
  result.validationLosses.slice(result.bestEpoch + 1).forEach((l) => {
    assert.ok(l >= best);
  });
  const last = await fineTune({ base, examples, settings: parseSettings({ epochs: result.bestEpoch + 1, learningRate: 2e-2 }) });
  assert.deepEqual(result.weights, last.weights, 'the weights returned are those of the best epoch');
});

test('a checkpoint from another run is refused instead of resumed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-ckpt-'));
  try {
    const run = resumeTestRun();
    const base = initialHead({ inputDim: run.dim, hiddenUnits: [], labels: run.labels, rand: seededRandom(5) });
    const settings = { ...run.settings, epochs: 1 };
    await fineTune({ base, examples: run.examples, settings, checkpointDir: dir });
    await assert.rejects(fineTune({ base, examples: run.examples.slice(1), settings, checkpointDir: dir }), /belongs to another run/);
    const again = await fineTune({ base, examples: run.examples, settings, checkpointDir: dir });
    assert.equal(again.resumedFromEpoch, 1, 'the same run finds its finished epoch');
    assert.equal(again.steps, 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad fine-tuning input is refused with the reason', async () => {
  const run = resumeTestRun();
  const base = initialHead({ inputDim: run.dim, hiddenUnits: [], labels: run.labels, rand: seededRandom(5) });
  const one = run.examples[0]!;
  await assert.rejects(fineTune({ base, examples: [one], settings: run.settings }), /at least 2 examples/);
  await assert.rejects(
    fineTune({ base, examples: [one, { ...one, label: 'omega' }], settings: run.settings }),
    /example 1 has label "omega"/,
  );
  await assert.rejects(fineTune({ base, examples: [one, { ...one, weight: 0 }], settings: run.settings }), /example 1 has weight 0/);
  await assert.rejects(
    fineTune({ base, examples: [one, { ...one, embedding: new Float32Array(3) }], settings: run.settings }),
    /has 3 dimensions, the head takes 64/,
  );
  await assert.rejects(
    fineTune({
      base,
      examples: run.examples,
      settings: run.settings,
      onBatch: () => {
        throw new Error('cancelled');
      },
    }),
    /cancelled/,
  );
});

test('a finished or failed run frees every tensor it made, so a long-lived worker does not grow', async () => {
  const run = resumeTestRun();
  const base = initialHead({ inputDim: run.dim, hiddenUnits: [16], labels: run.labels, rand: seededRandom(5) });
  await fineTune({ base, examples: run.examples, settings: { ...run.settings, epochs: 1 } }); // backend and kernels ready
  const before = tf.memory().numTensors;
  await fineTune({ base, examples: run.examples, settings: run.settings });
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    fineTune({
      base,
      examples: run.examples,
      settings: run.settings,
      onBatch: (b) => {
        if (b.step === 3) throw new Error('stop');
      },
    }),
    /stop/,
  );
  assert.equal(tf.memory().numTensors, before);
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-ckpt-'));
  try {
    await fineTune({ base, examples: run.examples, settings: { ...run.settings, epochs: 1 }, checkpointDir: dir });
    await fineTune({ base, examples: run.examples, settings: { ...run.settings, epochs: 1 }, checkpointDir: dir }); // resumed
    assert.equal(tf.memory().numTensors, before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
