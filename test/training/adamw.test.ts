import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { AdamW, clipByGlobalNorm, linearScheduleWithWarmup } from '../../src/training/adamw.js';

test('AdamW shrinks decayed weights by lr·λ apart from the Adam step, and leaves biases undecayed', async () => {
  const weight = tf.variable(tf.tensor1d([1]));
  const bias = tf.variable(tf.tensor1d([1]));
  const optimizer = new AdamW(
    [
      { variable: weight, decay: true },
      { variable: bias, decay: false },
    ],
    { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
  );
  const g = tf.tensor1d([0.5]);
  optimizer.apply([g, g], 0.1);
  // Step 1: m̂ = g, v̂ = g², so the Adam step is lr·g/|g| = 0.1; the decoupled decay takes 0.1·0.01·1 more.
  assert.ok(Math.abs(weight.dataSync()[0]! - (1 - 0.001 - 0.1)) < 1e-6, `weight ${String(weight.dataSync()[0])}`);
  assert.ok(Math.abs(bias.dataSync()[0]! - 0.9) < 1e-6, `bias ${String(bias.dataSync()[0])}`);
  assert.equal(optimizer.steps, 1);

  // The state restored into a fresh optimizer continues exactly like the original.
  const state = await optimizer.state();
  const twin = tf.variable(weight.clone());
  const twinBias = tf.variable(bias.clone());
  const restored = new AdamW([
    { variable: twin, decay: true },
    { variable: twinBias, decay: false },
  ]);
  restored.restore(state);
  const g2 = tf.tensor1d([-0.2]);
  optimizer.apply([g2, g2], 0.1);
  restored.apply([g2, g2], 0.1);
  assert.equal(restored.steps, 2);
  assert.deepEqual(twin.dataSync(), weight.dataSync());
  assert.throws(() => {
    restored.restore({ ...state, firstMoments: [new Float32Array(3), new Float32Array(1)] });
  }, /first moment 0 has 3 values, expected 1/);
  [weight, bias, twin, twinBias, g, g2].forEach((t) => {
    t.dispose();
  });
  optimizer.dispose();
  restored.dispose();
});

test('gradients over the max norm are scaled together to it; smaller ones pass unchanged', () => {
  const grads = [tf.tensor1d([3]), tf.tensor2d([[4, 0]])];
  const { clipped, norm } = clipByGlobalNorm(grads, 0.5);
  assert.equal(norm, 5);
  assert.ok(Math.abs(clipped[0]!.dataSync()[0]! - 0.3) < 1e-7);
  assert.deepEqual(
    Array.from(clipped[1]!.dataSync()).map((v) => Math.round(v * 1e6) / 1e6),
    [0.4, 0],
  );
  const small = clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 0.5);
  assert.ok(Math.abs(small.norm - 0.5) < 1e-7);
  assert.deepEqual(Array.from(small.clipped[0]!.dataSync()), Array.from(tf.tensor1d([0.3, 0.4]).dataSync()));
});

test('the learning rate follows get_linear_schedule_with_warmup: up from 0 over the warm-up, then down to 0 at the last step', () => {
  // The specs' configure_online_learning: lr 1e-6, num_warmup_steps 10, num_training_steps 50. Hugging Face's
  // lr_lambda: step / max(1, warmup) before the warm-up ends, max(0, (total − step) / max(1, total − warmup)) after.
  const specs = { learningRate: 1e-6, warmupSteps: 10, totalSteps: 50 };
  const close = (step: number, expected: number) => {
    const lr = linearScheduleWithWarmup(step, specs);
    assert.ok(Math.abs(lr - expected) < 1e-21, `step ${step}: ${lr}, expected ${expected}`);
  };
  close(0, 0); // the first optimizer step of a warm-up runs at 0, as in transformers
  close(1, 1e-7);
  close(5, 5e-7);
  close(10, 1e-6); // the warm-up's end: the peak
  close(30, 5e-7); // half-way down the decay: (50 − 30) / (50 − 10)
  close(49, 2.5e-8); // the run's last step: 1 / 40 of the peak
  close(50, 0); // the decay line reaches 0 at num_training_steps
  close(60, 0); // and stays there, never negative
  // Without a warm-up the first step runs at the peak and the decay starts at once.
  assert.equal(linearScheduleWithWarmup(0, { learningRate: 1e-3, warmupSteps: 0, totalSteps: 4 }), 1e-3);
  assert.equal(linearScheduleWithWarmup(2, { learningRate: 1e-3, warmupSteps: 0, totalSteps: 4 }), 5e-4);
  // A run shorter than its warm-up never leaves it (transformers' max(1, total − warmup) keeps the division finite).
  assert.equal(linearScheduleWithWarmup(2, { learningRate: 1e-3, warmupSteps: 10, totalSteps: 6 }), 2e-4);
  assert.equal(linearScheduleWithWarmup(10, { learningRate: 1e-3, warmupSteps: 10, totalSteps: 10 }), 0);
});
