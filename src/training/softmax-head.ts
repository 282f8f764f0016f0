import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../reference/random.js';

/** A linear softmax classifier over sentence embeddings: probabilities = softmax(x · W + b). */
export interface HeadWeights {
  inputDim: number;
  labels: string[];
  /** Row-major [inputDim × labels.length]. */
  kernel: Float32Array;
  bias: Float32Array;
}

export interface TrainHeadOptions {
  embeddings: Float32Array[];
  /** Index into `labels` per example. */
  targets: number[];
  labels: string[];
  initial?: HeadWeights;
  epochs: number;
  learningRate: number;
  batchSize: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface TrainHeadResult {
  weights: HeadWeights;
  losses: number[];
  steps: number;
}

function shuffled(n: number, rand: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export async function trainHead(opts: TrainHeadOptions): Promise<TrainHeadResult> {
  const inputDim = opts.embeddings[0]?.length ?? opts.initial?.inputDim;
  if (!inputDim) throw new Error('no training examples and no initial weights');
  const classes = opts.labels.length;
  const rand = seededRandom(opts.seed);
  const kernel = tf.variable(
    opts.initial
      ? tf.tensor2d(opts.initial.kernel, [inputDim, classes])
      : tf.tensor2d(Float32Array.from({ length: inputDim * classes }, () => (rand() - 0.5) * 0.02), [inputDim, classes]),
  );
  const bias = tf.variable(opts.initial ? tf.tensor1d(opts.initial.bias) : tf.zeros([classes]));
  const optimizer = tf.train.adam(opts.learningRate);
  const losses: number[] = [];
  let steps = 0;
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = shuffled(opts.embeddings.length, rand);
      let total = 0;
      for (let start = 0; start < order.length; start += opts.batchSize) {
        const idx = order.slice(start, start + opts.batchSize);
        const loss = tf.tidy(() => {
          const x = tf.tensor2d(idx.map((i) => Array.from(opts.embeddings[i]!)));
          const y = tf.oneHot(tf.tensor1d(idx.map((i) => opts.targets[i]!), 'int32'), classes);
          return optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, kernel), bias)) as tf.Scalar,
            true,
            [kernel, bias],
          )!;
        });
        total += (await loss.data())[0]! * idx.length;
        loss.dispose();
        steps++;
      }
      const mean = total / order.length;
      losses.push(mean);
      opts.onEpoch?.(epoch, mean);
    }
    return {
      weights: {
        inputDim,
        labels: [...opts.labels],
        kernel: Float32Array.from(await kernel.data()),
        bias: Float32Array.from(await bias.data()),
      },
      losses,
      steps,
    };
  } finally {
    kernel.dispose();
    bias.dispose();
    optimizer.dispose();
  }
}

/** Class probabilities for each embedding, with the same maths the ONNX export runs. */
export function predictHead(weights: HeadWeights, embeddings: Float32Array[]): Float32Array[] {
  const c = weights.labels.length;
  return embeddings.map((x) => {
    const logits = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      let s = weights.bias[j]!;
      for (let i = 0; i < weights.inputDim; i++) s += x[i]! * weights.kernel[i * c + j]!;
      logits[j] = s;
    }
    const max = Math.max(...logits);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += logits[j] = Math.exp(logits[j]! - max);
    for (let j = 0; j < c; j++) logits[j]! /= sum;
    return logits;
  });
}
