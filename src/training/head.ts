import * as tf from '@tensorflow/tfjs';
import { defined } from '../platform/defined.js';
import { selectTrainingBackend } from './backend.js';

/**
 * A classifier head over sentence embeddings: dense layers with ReLU between them and softmax at the end
 * (one layer: a linear softmax classifier). Weights are plain arrays so they travel through activities, files
 * and ONNX without tfjs; the label order is part of the weights because the output columns mean nothing without it.
 */
export interface DenseLayer {
  inputDim: number;
  outputDim: number;
  /** Row-major [inputDim × outputDim]: y = x · kernel + bias. */
  kernel: Float32Array;
  bias: Float32Array;
}

export interface HeadWeights {
  labels: string[];
  layers: DenseLayer[];
}

export function headInputDim(weights: HeadWeights): number {
  return defined(weights.layers[0], "the head's first layer").inputDim;
}

/** Throws unless the layers chain from the input to one output per label. */
export function assertHeadShape(weights: HeadWeights): void {
  const { layers, labels } = weights;
  if (layers.length === 0) throw new Error('head has no layers');
  if (new Set(labels).size !== labels.length) throw new Error('head labels are not unique');
  layers.forEach((l, i) => {
    if (l.kernel.length !== l.inputDim * l.outputDim)
      throw new Error(`layer ${i}: kernel has ${l.kernel.length} values, expected ${l.inputDim}×${l.outputDim}`);
    if (l.bias.length !== l.outputDim) throw new Error(`layer ${i}: bias has ${l.bias.length} values, expected ${l.outputDim}`);
    const previous = layers[i - 1];
    if (previous && previous.outputDim !== l.inputDim)
      throw new Error(`layer ${i}: takes ${l.inputDim} inputs but layer ${i - 1} gives ${previous.outputDim}`);
  });
  const outputDim = defined(layers.at(-1), "the head's last layer").outputDim;
  if (outputDim !== labels.length) throw new Error(`head gives ${outputDim} outputs for ${labels.length} labels`);
}

/**
 * Fresh weights: Glorot-uniform kernels from the seeded generator, zero biases. `hiddenUnits` [] is a linear
 * classifier, [64] one ReLU layer of 64 units.
 */
export function initialHead(opts: {
  inputDim: number;
  hiddenUnits: readonly number[];
  labels: readonly string[];
  rand: () => number;
}): HeadWeights {
  const widths = [opts.inputDim, ...opts.hiddenUnits, opts.labels.length];
  const layers = widths.slice(1).map((outputDim, i) => {
    const inputDim = defined(widths[i], `width ${i}`);
    const limit = Math.sqrt(6 / (inputDim + outputDim));
    return {
      inputDim,
      outputDim,
      kernel: Float32Array.from({ length: inputDim * outputDim }, () => (opts.rand() * 2 - 1) * limit),
      bias: new Float32Array(outputDim),
    };
  });
  return { labels: [...opts.labels], layers };
}

export interface HeadVariables {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

export function headVariables(weights: HeadWeights): HeadVariables[] {
  // tf.variable keeps its initial tensor alive besides itself; tidy releases that one.
  return weights.layers.map((l) => ({
    kernel: tf.tidy(() => tf.variable(tf.tensor2d(l.kernel, [l.inputDim, l.outputDim]))),
    bias: tf.tidy(() => tf.variable(tf.tensor1d(l.bias))),
  }));
}

/** Pre-softmax scores, the same graph the ONNX export writes (Gemm, Relu between layers). */
export function headLogits(layers: readonly { kernel: tf.Tensor2D; bias: tf.Tensor1D }[], x: tf.Tensor2D): tf.Tensor2D {
  return layers.reduce((h, l, i) => {
    const z = tf.add<tf.Tensor2D>(tf.matMul(h, l.kernel), l.bias);
    return i < layers.length - 1 ? tf.relu(z) : z;
  }, x);
}

export async function readHeadVariables(labels: readonly string[], vars: readonly HeadVariables[]): Promise<HeadWeights> {
  const layers = await Promise.all(
    vars.map(async ({ kernel, bias }) => ({
      inputDim: kernel.shape[0],
      outputDim: kernel.shape[1],
      kernel: Float32Array.from(await kernel.data()),
      bias: Float32Array.from(await bias.data()),
    })),
  );
  return { labels: [...labels], layers };
}

/** Class probabilities per embedding (rows in input order, columns in `weights.labels` order), computed by tfjs. */
export async function predictHead(weights: HeadWeights, embeddings: readonly Float32Array[]): Promise<Float32Array[]> {
  assertHeadShape(weights);
  if (embeddings.length === 0) return [];
  // tfjs refuses to compute before its backend is ready; evaluation may be the first thing a process runs.
  await selectTrainingBackend();
  const dim = headInputDim(weights);
  const probabilities = tf.tidy(() => {
    const layers = weights.layers.map((l) => ({ kernel: tf.tensor2d(l.kernel, [l.inputDim, l.outputDim]), bias: tf.tensor1d(l.bias) }));
    return tf.softmax(headLogits(layers, stackEmbeddings(embeddings, dim)));
  });
  const flat = await probabilities.data();
  probabilities.dispose();
  const c = weights.labels.length;
  return embeddings.map((_, i) => Float32Array.from(flat.subarray(i * c, (i + 1) * c)));
}

/** One [N × dim] tensor from N embeddings, refusing any of another width. */
export function stackEmbeddings(embeddings: readonly Float32Array[], dim: number): tf.Tensor2D {
  const flat = new Float32Array(embeddings.length * dim);
  embeddings.forEach((e, i) => {
    if (e.length !== dim) throw new Error(`embedding ${i} has ${e.length} dimensions, the head takes ${dim}`);
    flat.set(e, i * dim);
  });
  return tf.tensor2d(flat, [embeddings.length, dim]);
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = values[0];
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    if (value !== undefined && bestValue !== undefined && value > bestValue) {
      best = i;
      bestValue = value;
    }
  }
  return best;
}
