import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { defined } from '../platform/defined.js';
import { seededRandom, shuffled } from './random.js';
import { AdamW, adamWDefaults, clipByGlobalNorm, linearScheduleWithWarmup, type LinearSchedule } from './adamw.js';
import { selectTrainingBackend, type TrainingBackend } from './backend.js';
import { loadLatestCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  assertHeadShape,
  headInputDim,
  headLogits,
  headVariables,
  readHeadVariables,
  stackEmbeddings,
  type HeadVariables,
  type HeadWeights,
} from './head.js';

/**
 * The specs' learning rate (`retrain_phase4`, `configure_online_learning`, the table: 1e-6, "100× smaller than Phase
 * 3") for the specs' model, a pre-trained LLM: the default of the `command` trainer, a user's own program.
 */
export const SPEC_LEARNING_RATE = 1e-6;
/**
 * The reference head's (the in-process tfjs trainer's) default: 1e-6 moves its ~0.1 weights by at most 5e-5 in a
 * run, and 3e-3 is bench/train.ts's choice on a validation set (README, "Retraining").
 */
export const REFERENCE_HEAD_LEARNING_RATE = 3e-3;

/**
 * The specs' fine-tuning configuration (phase 4): epochs 5 (3 for an emergency), batch 2, gradient accumulation 4
 * (an optimizer step every 8 examples), lr 1e-6 with 10 linear warm-up steps then a linear decay to 0 at the run's
 * last step (get_linear_schedule_with_warmup), max grad norm 0.5, AdamW with weight decay 0.01, early stopping with
 * patience 2 on a validation split. The learning rate is the one knob a user must
 * set for the model at hand: 1e-6 suits a pre-trained LLM; a small head needs far more (README).
 */
export const fineTuneSettingsSchema = z.strictObject({
  epochs: z.number().int().min(1).default(5),
  batchSize: z.number().int().min(1).default(2),
  gradientAccumulationSteps: z.number().int().min(1).default(4),
  learningRate: z.number().positive().default(SPEC_LEARNING_RATE),
  warmupSteps: z.number().int().min(0).default(10),
  /**
   * The schedule's num_training_steps, where the learning rate reaches 0. null: the run's own optimizer steps,
   * epochs × ⌈training examples / (batchSize · gradientAccumulationSteps)⌉, which the specs' 50 ("Expected steps per
   * retraining") stands for; 50 taken literally would train at 0 after step 50 of a larger run and never finish the
   * decay in a smaller one. Give 50 for the specs' literal value. Early stopping ends a run before the decay does, as
   * in Hugging Face's Trainer.
   */
  trainingSteps: z.number().int().min(1).nullable().default(null),
  maxGradNorm: z.number().positive().default(0.5),
  weightDecay: z.number().min(0).default(0.01),
  earlyStoppingPatience: z.number().int().min(1).default(2),
  /** Share of the examples held out (seeded) for the validation loss that early stopping watches. */
  validationShare: z.number().gt(0).lt(1).default(0.2),
  /** Seeds the validation split and every epoch's shuffle. */
  seed: z.number().int().default(0),
});
export type FineTuneSettings = z.output<typeof fineTuneSettingsSchema>;
export type FineTuneSettingsInput = z.input<typeof fineTuneSettingsSchema>;

/** A trainer's default learning rate when neither LEARNLOOP_TRAINING_LR nor the run's hyperparameters name one. */
export function defaultLearningRate(trainer: 'tfjs' | 'command'): number {
  return trainer === 'command' ? SPEC_LEARNING_RATE : REFERENCE_HEAD_LEARNING_RATE;
}

/**
 * A run's settings: the specs' (3 epochs for an emergency), the learning rate the run's `hyperparameters` name, else
 * the deployment's (LEARNLOOP_TRAINING_LR), else the trainer's default (1e-6 for a `command` trainer, 3e-3 for tfjs).
 */
export function runFineTuneSettings(opts: {
  trainer: 'tfjs' | 'command';
  emergency?: boolean;
  configuredLearningRate?: number;
  hyperparameters?: FineTuneSettingsInput;
}): FineTuneSettings {
  const learningRate = opts.configuredLearningRate ?? defaultLearningRate(opts.trainer);
  return specFineTuneSettings({ emergency: opts.emergency, overrides: { learningRate, ...opts.hyperparameters } });
}

/** The specs' settings for a run: 3 epochs for an emergency retrain, else 5; `overrides` win. */
export function specFineTuneSettings(opts: { emergency?: boolean; overrides?: FineTuneSettingsInput } = {}): FineTuneSettings {
  return parseSettings({ epochs: opts.emergency ? 3 : 5, ...opts.overrides });
}

export function parseSettings(input: FineTuneSettingsInput): FineTuneSettings {
  const parsed = fineTuneSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw new Error(`invalid fine-tuning settings: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export interface WeightedExample {
  embedding: Float32Array;
  /** One of the base head's labels. */
  label: string;
  /** The learning cycle's sample weight (for example the quality score); the loss is the weighted mean. */
  weight: number;
}

export interface BatchProgress {
  /** 0-based epoch. */
  epoch: number;
  /** Optimizer steps finished so far in the whole run (resumed runs count the steps before the crash). */
  step: number;
  /** 0-based micro-batch within the epoch. */
  batch: number;
  /** Weighted mean cross-entropy of this micro-batch. */
  loss: number;
  /** The learning rate of the optimizer step this micro-batch goes into. */
  learningRate: number;
}

export interface FineTuneOptions {
  base: HeadWeights;
  examples: readonly WeightedExample[];
  settings: FineTuneSettings;
  /** Saves a checkpoint here after each epoch and resumes from the newest one found; none when unset. */
  checkpointDir?: string;
  /** Awaited after every micro-batch: heartbeats, cancellation (throw to stop). */
  onBatch?: (progress: BatchProgress) => void | Promise<void>;
  logger?: Logger;
}

export interface FineTuneResult {
  /** The weights of the epoch with the lowest validation loss. */
  weights: HeadWeights;
  losses: number[];
  validationLosses: number[];
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Optimizer steps (after accumulation) over the whole run, resumed or not. */
  steps: number;
  /** The learning-rate schedule's length: where it reaches 0 (steps < this when early stopping ended the run). */
  scheduledSteps: number;
  /** Epochs the run took over from a checkpoint (0 when it started fresh). */
  resumedFromEpoch: number;
  trainingExamples: number;
  validationExamples: number;
  backend: TrainingBackend;
}

/**
 * Fine-tunes a head on weighted examples with the specs' configuration, on the backend selectTrainingBackend picks.
 * With `checkpointDir`, each finished epoch is saved and a later call with the same examples and settings picks up
 * after the newest one: a crashed run ends with the same steps (and, on one backend, the same weights) as an
 * uninterrupted one.
 */
export async function fineTune(opts: FineTuneOptions): Promise<FineTuneResult> {
  const { base, examples, settings } = opts;
  assertHeadShape(base);
  const split = splitExamples(examples, base, settings);
  const backend = await selectTrainingBackend({ logger: opts.logger });
  const fingerprint = runFingerprint(base, examples, settings);
  const resumed = opts.checkpointDir ? await loadLatestCheckpoint(opts.checkpointDir) : undefined;
  if (resumed && resumed.fingerprint !== fingerprint) {
    throw new Error(`checkpoint in ${String(opts.checkpointDir)} belongs to another run (other examples, base weights or settings)`);
  }
  const resumedFromEpoch = resumed?.epochsDone ?? 0;
  if (resumed)
    opts.logger?.info(
      { checkpointDir: opts.checkpointDir, epochsDone: resumed.epochsDone, steps: resumed.optimizer.step },
      'resuming fine-tuning from checkpoint',
    );

  const vars = headVariables(resumed?.weights ?? base);
  const optimizer = new AdamW(
    vars.flatMap((v) => [
      { variable: v.kernel, decay: true },
      { variable: v.bias, decay: false },
    ]),
    { ...adamWDefaults, weightDecay: settings.weightDecay },
  );
  if (resumed) optimizer.restore(resumed.optimizer);
  // The schedule a resumed run continues is the one it began with, saved in its checkpoint.
  const scheduledSteps =
    resumed?.scheduledSteps ??
    settings.trainingSteps ??
    settings.epochs * Math.ceil(split.train.length / (settings.batchSize * settings.gradientAccumulationSteps));
  const schedule: LinearSchedule = { learningRate: settings.learningRate, warmupSteps: settings.warmupSteps, totalSteps: scheduledSteps };
  const dim = headInputDim(base);
  const train = tensorsOf(split.train, dim, base.labels.length);
  const validation = tensorsOf(split.validation, dim, base.labels.length);
  const state: Omit<Checkpoint, 'optimizer' | 'weights' | 'fingerprint' | 'seed' | 'scheduledSteps'> = resumed ?? {
    epochsDone: 0,
    best: { epoch: -1, validationLoss: Number.POSITIVE_INFINITY, weights: base },
    epochsWithoutImprovement: 0,
    losses: [],
    validationLosses: [],
  };
  try {
    while (state.epochsDone < settings.epochs && state.epochsWithoutImprovement < settings.earlyStoppingPatience) {
      const epoch = state.epochsDone;
      const order = epochOrder(split.train.length, settings.seed, epoch);
      state.losses.push(
        await trainEpoch({
          epoch,
          order,
          weights: split.train.map((e) => e.weight),
          train,
          vars,
          optimizer,
          settings,
          schedule,
          onBatch: opts.onBatch,
        }),
      );
      const validationLoss = await weightedLoss(vars, validation);
      state.validationLosses.push(validationLoss);
      if (validationLoss < state.best.validationLoss) {
        state.best = { epoch, validationLoss, weights: await readHeadVariables(base.labels, vars) };
        state.epochsWithoutImprovement = 0;
      } else {
        state.epochsWithoutImprovement++;
      }
      state.epochsDone = epoch + 1;
      opts.logger?.info(
        {
          epoch,
          steps: optimizer.steps,
          scheduledSteps,
          learningRate: linearScheduleWithWarmup(optimizer.steps, schedule),
          loss: state.losses.at(-1),
          validationLoss,
        },
        'fine-tuning epoch finished',
      );
      if (opts.checkpointDir) {
        await saveCheckpoint(opts.checkpointDir, {
          ...state,
          scheduledSteps,
          fingerprint,
          seed: settings.seed,
          optimizer: await optimizer.state(),
          weights: await readHeadVariables(base.labels, vars),
        });
      }
    }
    return {
      weights: state.best.weights,
      losses: state.losses,
      validationLosses: state.validationLosses,
      epochsRun: state.epochsDone,
      bestEpoch: state.best.epoch,
      stoppedEarly: state.epochsDone < settings.epochs,
      steps: optimizer.steps,
      scheduledSteps,
      resumedFromEpoch,
      trainingExamples: split.train.length,
      validationExamples: split.validation.length,
      backend,
    };
  } finally {
    vars.forEach((v) => {
      v.kernel.dispose();
      v.bias.dispose();
    });
    optimizer.dispose();
    for (const t of [train, validation]) for (const x of [t.x, t.y, t.w]) x.dispose();
  }
}

interface ExampleTensors {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  w: tf.Tensor1D;
}

interface IndexedExample {
  embedding: Float32Array;
  target: number;
  weight: number;
}

function tensorsOf(examples: readonly IndexedExample[], dim: number, classes: number): ExampleTensors {
  return {
    x: stackEmbeddings(
      examples.map((e) => e.embedding),
      dim,
    ),
    y: tf.tidy(() =>
      tf
        .oneHot(
          tf.tensor1d(
            examples.map((e) => e.target),
            'int32',
          ),
          classes,
        )
        .toFloat(),
    ) as tf.Tensor2D,
    w: tf.tensor1d(examples.map((e) => e.weight)),
  };
}

/** Σ wᵢ · cross-entropyᵢ over the rows (the caller divides by the weight it normalises over). */
function weightedCrossEntropySum(vars: readonly HeadVariables[], x: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor1D): tf.Scalar {
  const perRow = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(headLogits(vars, x))), 1));
  return tf.sum(tf.mul(perRow, w));
}

async function weightedLoss(vars: readonly HeadVariables[], t: ExampleTensors): Promise<number> {
  const loss = tf.tidy(() => tf.div(weightedCrossEntropySum(vars, t.x, t.y, t.w), tf.sum(t.w)));
  const value = defined((await loss.data())[0], 'the loss value');
  loss.dispose();
  return value;
}

/**
 * One epoch: micro-batches of `batchSize`, gradients summed over `gradientAccumulationSteps` of them and divided by
 * the group's total sample weight (so the step follows the weighted mean loss of the group), clipped to the global
 * norm, then one AdamW step at the schedule's learning rate for that step. A last, shorter group still steps, as
 * Hugging Face's Trainer does. Returns the epoch's weighted mean training loss.
 */
async function trainEpoch(args: {
  epoch: number;
  order: number[];
  weights: number[];
  train: ExampleTensors;
  vars: HeadVariables[];
  optimizer: AdamW;
  settings: FineTuneSettings;
  schedule: LinearSchedule;
  onBatch?: FineTuneOptions['onBatch'];
}): Promise<number> {
  const { epoch, order, weights, train, vars, optimizer, settings, schedule } = args;
  const parameters = vars.flatMap((v) => [v.kernel, v.bias]);
  const groupSize = settings.batchSize * settings.gradientAccumulationSteps;
  let lossSum = 0;
  let batch = 0;
  for (let groupStart = 0; groupStart < order.length; groupStart += groupSize) {
    const group = order.slice(groupStart, groupStart + groupSize);
    const groupWeight = group.reduce((s, i) => s + defined(weights[i], `weight of example ${i}`), 0);
    const learningRate = linearScheduleWithWarmup(optimizer.steps, schedule);
    let summed: tf.Tensor[] | undefined;
    try {
      for (let from = 0; from < group.length; from += settings.batchSize) {
        const rows = group.slice(from, from + settings.batchSize);
        const { value, grads } = tf.tidy(() => {
          const index = tf.tensor1d(rows, 'int32');
          const [x, y, w] = [tf.gather(train.x, index), tf.gather(train.y, index), tf.gather(train.w, index)] as [
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor1D,
          ];
          return tf.variableGrads(() => weightedCrossEntropySum(vars, x, y, w), parameters);
        });
        const gradients = parameters.map((p) => defined(grads[p.name], `gradient of ${p.name}`));
        const previous = summed;
        summed = previous ? gradients.map((g, i) => tf.add(defined(previous[i], `summed gradient ${i}`), g)) : gradients;
        if (previous) {
          [...previous, ...gradients].forEach((t) => {
            t.dispose();
          });
        }
        const batchLoss = defined((await value.data())[0], 'the batch loss');
        value.dispose();
        lossSum += batchLoss;
        const batchWeight = rows.reduce((s, i) => s + defined(weights[i], `weight of example ${i}`), 0);
        await args.onBatch?.({ epoch, step: optimizer.steps, batch, loss: batchLoss / batchWeight, learningRate });
        batch++;
      }
      const update = defined(summed, "the group's summed gradients");
      tf.tidy(() => {
        const { clipped } = clipByGlobalNorm(
          update.map((g) => tf.div(g, groupWeight)),
          settings.maxGradNorm,
        );
        optimizer.apply(clipped, learningRate);
      });
    } finally {
      summed?.forEach((t) => {
        t.dispose();
      });
    }
  }
  return lossSum / order.reduce((s, i) => s + defined(weights[i], `weight of example ${i}`), 0);
}

/** The shuffle of epoch `epoch`: its own seeded stream, so a resumed run shuffles exactly as the crashed one would have. */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  return shuffled(
    Array.from({ length: count }, (_, i) => i),
    seededRandom(Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + epoch),
  );
}

/** Checks every example before any tensor exists, then splits them (seeded), at least one example on each side. */
function splitExamples(
  examples: readonly WeightedExample[],
  base: HeadWeights,
  settings: FineTuneSettings,
): { train: IndexedExample[]; validation: IndexedExample[] } {
  if (examples.length < 2) throw new Error(`fine-tuning needs at least 2 examples (one to validate on), got ${examples.length}`);
  const indexed = examples.map((e, i) => {
    const target = base.labels.indexOf(e.label);
    if (target < 0) throw new Error(`example ${i} has label ${JSON.stringify(e.label)}, which the base model does not have`);
    if (!(e.weight > 0) || !Number.isFinite(e.weight))
      throw new Error(`example ${i} has weight ${e.weight}; sample weights must be positive`);
    if (e.embedding.length !== headInputDim(base))
      throw new Error(`example ${i}: embedding ${i} has ${e.embedding.length} dimensions, the head takes ${headInputDim(base)}`);
    return { embedding: e.embedding, target, weight: e.weight };
  });
  const order = shuffled(indexed, seededRandom(settings.seed ^ 0x7f4a7c15));
  const validationCount = Math.min(examples.length - 1, Math.max(1, Math.round(examples.length * settings.validationShare)));
  return { validation: order.slice(0, validationCount), train: order.slice(validationCount) };
}

function runFingerprint(base: HeadWeights, examples: readonly WeightedExample[], settings: FineTuneSettings): string {
  const hash = createHash('sha256').update(JSON.stringify(settings)).update(JSON.stringify(base.labels));
  for (const l of base.layers)
    hash
      .update(new Uint8Array(l.kernel.buffer, l.kernel.byteOffset, l.kernel.byteLength))
      .update(new Uint8Array(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength));
  for (const e of examples)
    hash.update(new Uint8Array(e.embedding.buffer, e.embedding.byteOffset, e.embedding.byteLength)).update(`${e.label}\0${e.weight}\0`);
  return hash.digest('hex');
}
