import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { defined } from '../platform/defined.js';
import { seededRandom, shuffled } from './random.js';
import { selectTrainingBackend, type TrainingBackend } from './backend.js';
import {
  assertHeadShape,
  headInputDim,
  headLogits,
  headVariables,
  initialHead,
  readHeadVariables,
  stackEmbeddings,
  type HeadWeights,
} from './head.js';

/** Hyperparameters of one training run; the same shape whether it starts fresh or from a deployed version. */
export const headTrainingSettingsSchema = z.strictObject({
  epochs: z.number().int().min(1),
  learningRate: z.number().positive(),
  batchSize: z.number().int().min(1),
  /** Seeds weight initialisation and the example order, so a run is repeatable on one backend. */
  seed: z.number().int(),
  /** Hidden ReLU layer widths for a fresh head ([] = linear softmax); a head from `initialWeights` keeps its own. */
  hiddenUnits: z.array(z.number().int().min(1)).default([]),
});
export type HeadTrainingSettings = z.input<typeof headTrainingSettingsSchema>;

export interface TrainStep {
  epoch: number;
  /** Optimizer steps taken so far in this run, this one included. */
  step: number;
  /** Mean cross-entropy of this step's batch. */
  loss: number;
}

export interface TrainHeadOptions extends HeadTrainingSettings {
  embeddings: readonly Float32Array[];
  /** Index into `labels` per example. */
  targets: readonly number[];
  labels: readonly string[];
  /** Start from these weights (for example the production version's, read with headFromOnnx) instead of fresh ones. */
  initialWeights?: HeadWeights;
  /** Awaited after every optimizer step: progress, heartbeats, cancellation (throw to stop). */
  onStep?: (step: TrainStep) => void | Promise<void>;
  logger?: Logger;
}

export interface TrainHeadResult {
  weights: HeadWeights;
  /** Mean training loss per epoch. */
  losses: number[];
  steps: number;
  backend: TrainingBackend;
}

/** Mini-batch Adam on softmax cross-entropy, on the backend selectTrainingBackend picks. */
export async function trainHead(opts: TrainHeadOptions): Promise<TrainHeadResult> {
  const parsed = headTrainingSettingsSchema.safeParse({
    epochs: opts.epochs,
    learningRate: opts.learningRate,
    batchSize: opts.batchSize,
    seed: opts.seed,
    hiddenUnits: opts.hiddenUnits,
  });
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw new Error(`invalid training settings: ${issue.path.join('.')}: ${issue.message}`);
  }
  const settings = parsed.data;
  const { embeddings, targets, labels } = opts;
  if (embeddings.length === 0) throw new Error('no training examples');
  if (targets.length !== embeddings.length) throw new Error(`${embeddings.length} embeddings but ${targets.length} targets`);
  const badTarget = targets.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= labels.length);
  if (badTarget >= 0) throw new Error(`target ${badTarget} is ${String(targets[badTarget])}, not an index into ${labels.length} labels`);

  const backend = await selectTrainingBackend({ logger: opts.logger });
  const rand = seededRandom(settings.seed);
  const start =
    opts.initialWeights ??
    initialHead({ inputDim: defined(embeddings[0], 'the first embedding').length, hiddenUnits: settings.hiddenUnits, labels, rand });
  assertHeadShape(start);
  if (start.labels.join('\n') !== labels.join('\n')) {
    throw new Error(`initial weights are for labels [${start.labels.join(', ')}], training targets [${labels.join(', ')}]`);
  }

  const vars = headVariables(start);
  const x = stackEmbeddings(embeddings, headInputDim(start));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(targets), 'int32'), labels.length).toFloat());
  const optimizer = tf.train.adam(settings.learningRate);
  const losses: number[] = [];
  let steps = 0;
  try {
    const indices = embeddings.map((_, i) => i);
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const order = shuffled(indices, rand);
      let total = 0;
      for (let from = 0; from < order.length; from += settings.batchSize) {
        const batch = order.slice(from, from + settings.batchSize);
        const cost = tf.tidy(() => {
          const rows = tf.tensor1d(batch, 'int32');
          const bx = tf.gather(x, rows);
          const by = tf.gather(y, rows);
          const batchCost = optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(by, headLogits(vars, bx)),
            true,
            vars.flatMap((v) => [v.kernel, v.bias]),
          );
          if (batchCost === null) throw new Error('the optimizer returned no cost');
          return batchCost;
        });
        const loss = defined((await cost.data())[0], 'the batch loss');
        cost.dispose();
        total += loss * batch.length;
        steps++;
        await opts.onStep?.({ epoch, step: steps, loss });
      }
      losses.push(total / order.length);
    }
    return { weights: await readHeadVariables(labels, vars), losses, steps, backend };
  } finally {
    vars.forEach((v) => {
      v.kernel.dispose();
      v.bias.dispose();
    });
    x.dispose();
    y.dispose();
    optimizer.dispose();
  }
}
