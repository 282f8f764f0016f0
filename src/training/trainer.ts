import { z } from 'zod';
import type { Logger } from '../log.js';
import { fineTuneSettingsSchema } from './fine-tune.js';

/**
 * What every trainer gets and gives back. The `command` trainer hands exactly this request to a user's program as
 * JSON and validates its answer against `trainerResultSchema`: the contract in command-trainer.md.
 */
export const trainingExampleSchema = z.strictObject({
  /** The request's input text. */
  text: z.string().min(1),
  /** The output to learn (for the reference head: a template name, one of the base model's labels). */
  label: z.string().min(1),
  /** Sample weight from the learning cycle (the quality score); the loss is the weighted mean. */
  weight: z.number().positive(),
  /** The text's all-MiniLM-L6-v2 sentence embedding (384 floats, L2-normalised), for trainers of embedding heads. */
  embedding: z.array(z.number()),
});
export type TrainingExample = z.infer<typeof trainingExampleSchema>;

export const trainerRequestSchema = z.strictObject({
  contract: z.literal('learnloop.trainer/v1'),
  runId: z.string().min(1),
  modelId: z.string().min(1),
  base: z.strictObject({
    version: z.string().min(1),
    /** The production version's registered ONNX file. */
    onnxPath: z.string().min(1),
    /** The same weights as JSON (weights-file.ts), for programs without an ONNX reader; absent for non-head models. */
    weightsPath: z.string().min(1).optional(),
  }),
  examples: z.array(trainingExampleSchema).min(2),
  /**
   * When a learning cycle started the run: its samples, each a requirement improvement (input: what was changed, as
   * JSON; output: the improvement in words) weighted by what it gained. For trainers of text models; a head trainer,
   * which learns template labels, has no output to fit them to.
   */
  feedback: z
    .array(z.strictObject({ application: z.string(), input: z.string(), output: z.string(), weight: z.number().positive() }))
    .optional(),
  hyperparameters: fineTuneSettingsSchema.required(),
  /** Kept across retries of the same run: save checkpoints here and resume from them. */
  checkpointDir: z.string().min(1),
  /** Write the trained model here. */
  outputDir: z.string().min(1),
});
export type TrainerRequest = z.infer<typeof trainerRequestSchema>;

export const trainerResultSchema = z
  .strictObject({
    /** The trained head as weights JSON (weights-file.ts); relative paths are taken from outputDir. */
    weightsPath: z.string().min(1).optional(),
    /** Or the trained model as ONNX with input `embedding` and output `probabilities`. */
    onnxPath: z.string().min(1).optional(),
    /** Mean training loss per epoch run. */
    losses: z.array(z.number()),
    validationLosses: z.array(z.number()).optional(),
    epochsRun: z.number().int().min(0),
    /** Optimizer steps over the whole run. */
    steps: z.number().int().min(0),
    /** Epochs taken over from a checkpoint of an earlier attempt (0 or absent: started fresh). */
    resumedFromEpoch: z.number().int().min(0).optional(),
    /** Where it ran, recorded in training_runs ("cuda", "numpy", …). */
    backend: z.string().min(1).optional(),
  })
  .refine((r) => (r.weightsPath === undefined) !== (r.onnxPath === undefined), { error: 'give exactly one of weightsPath and onnxPath' });
export type TrainerResult = z.infer<typeof trainerResultSchema> & { backend: string };

/** One progress report: what heartbeats carry. */
export const trainerProgressSchema = z.looseObject({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  loss: z.number().optional(),
});
export type TrainerProgress = z.infer<typeof trainerProgressSchema>;

export interface TrainerContext {
  /** Called for every progress report (every micro-batch for the tfjs trainer). Throw to stop training. */
  onProgress: (progress: TrainerProgress) => void | Promise<void>;
  /** Aborting stops training (the command trainer kills the program). */
  signal?: AbortSignal;
  logger: Logger;
}

export interface Trainer {
  readonly kind: 'tfjs' | 'command';
  train(request: TrainerRequest, context: TrainerContext): Promise<TrainerResult>;
}
