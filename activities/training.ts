import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { ModelRegistry, RegistryError } from '../src/models/registry.js';
import { lazyEmbedder } from '../src/models/lazy-embedder.js';
import { defined } from '../src/platform/defined.js';
import { embedWithCache, type TextEmbedder } from '../src/models/embedding-cache.js';
import { readTrainingSamples } from '../src/db/training-samples.js';
import { embedExamples } from '../src/retraining/embed-examples.js';
import { UnknownExamplesError } from '../src/retraining/unknown-examples.js';
import { evaluateAgainstProduction } from '../src/training/candidate-evaluation.js';
import { runFineTuneSettings, type FineTuneSettings } from '../src/training/fine-tune.js';
import type { HeadWeights } from '../src/training/head.js';
import type { HeldOutMetrics, HeldOutSet } from '../src/training/held-out.js';
import { headFromOnnx, headToOnnx } from '../src/training/onnx-head.js';
import { qualityGate, type GateDecision } from '../src/training/quality-gate.js';
import { tfjsTrainer } from '../src/training/tfjs-trainer.js';
import { trainerProgressSchema, type Trainer, type TrainerProgress, type TrainerRequest } from '../src/training/trainer.js';
import { headToJson, readHeadFile, writeJsonAtomically } from '../src/training/weights-file.js';
import { activityLogger } from './activity-logger.js';
import type { ActivityDeps } from './deps.js';
import { parseInput } from '../src/temporal/parse-input.js';

/** It names the run's folder under `<artifactDir>/training/`, so only characters that are safe in a path. */
const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'use letters, digits, ".", "_" and "-" (it names a folder)');
const modelId = z.string().min(1);
const version = z.string().min(1);

export const fineTuneInput = z.strictObject({
  /** Stable across retries of one retraining (the workflow id and its first run id): keys the checkpoints. */
  runId,
  modelId,
  /** The production version the run starts from. */
  baseVersion: version,
  examples: z
    .array(z.strictObject({ requestId: z.uuid(), text: z.string().min(1), label: z.string().min(1), weight: z.number().positive() }))
    .min(2)
    .max(10_000),
  emergency: z.boolean().default(false),
  /** Overrides of the specs' configuration (fine-tune.ts), e.g. `{ learningRate: 3e-3 }` for the reference head. */
  hyperparameters: z.record(z.string(), z.number()).optional(),
  /** The learning cycle whose stored samples go to the trainer as the request's `feedback`. */
  learningCycleId: z.string().min(1).optional(),
});

const canarySet = z.strictObject({
  phrasing: z.enum(['standard', 'drifted']),
  seed: z.number().int(),
  count: z.number().int().min(1).max(5_000),
});

/** The task's held-out set for the canary seeds an evaluation names; the worker's composer passes the task's own (src/reference/held-out.ts). */
export type CanaryHeldOutSet = (canary: readonly z.output<typeof canarySet>[]) => HeldOutSet;

export const evaluateCandidateInput = z.strictObject({
  modelId,
  productionVersion: version,
  /** fineTune's `candidatePath`. */
  candidatePath: z.string().min(1),
  /** The held-out canary set: the task's examples generated from these seeds (none of them a training seed). */
  canary: z.array(canarySet).min(1),
  emergency: z.boolean().default(false),
});

export const exportAndRegisterInput = z.strictObject({
  runId,
  modelId,
  version,
  candidatePath: z.string().min(1),
  metrics: z.record(z.string(), z.unknown()).default({}),
  /** Provenance written into the ONNX metadata (`learnloop.training`) and the registry: keep it deterministic. */
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export interface FineTuneOutput {
  runId: string;
  trainer: Trainer['kind'];
  /** tfjs backend ("tensorflow-gpu", "wasm", "cpu") or what a command trainer reports: goes into training_runs. */
  backend: string;
  baseVersion: string;
  /** The trained weights (JSON) or model (ONNX), for evaluateCandidate and exportAndRegister. */
  candidatePath: string;
  losses: number[];
  validationLosses: number[];
  epochsRun: number;
  steps: number;
  examples: number;
  /** Learning-cycle samples handed to the trainer in the request's `feedback`. */
  feedbackSamples: number;
  hyperparameters: FineTuneSettings;
  attempt: number;
  /** Epochs this attempt took over from an earlier attempt's checkpoint. */
  resumedFromEpoch: number;
  /** The last heartbeat of the attempt before this one, when this attempt is a retry. */
  resumedAfter: TrainerProgress | null;
  durationMs: number;
}

export interface EvaluateCandidateOutput {
  canaryExamples: number;
  candidate: HeldOutMetrics;
  production: HeldOutMetrics;
  improvement: number;
  gate: GateDecision;
}

export interface ExportAndRegisterOutput {
  modelId: string;
  version: string;
  sha256: string;
  artifactUri: string;
}

const parse = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => parseInput(schema, input, 'InvalidTrainingInput', '(input)');

function invalid(message: string): never {
  throw ApplicationFailure.nonRetryable(message, 'InvalidTrainingInput');
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, file);
}

/**
 * Activities of retraining's training side, on the `learnloop-training` task queue. fineTune heartbeats every
 * micro-batch and checkpoints every epoch under `<artifactDir>/training/<runId>/checkpoints`, so a retry after a
 * worker crash resumes there; the trainer is the in-process tfjs one unless the worker passes another (the
 * `command` trainer for a user's own program).
 */
export function createTrainingActivities(
  { pool, logger, config }: ActivityDeps,
  options: { canaryHeldOutSet: CanaryHeldOutSet; trainer?: Trainer; embedder?: TextEmbedder },
) {
  const registry = new ModelRegistry(pool, config.artifactDir);
  const trainer = options.trainer ?? tfjsTrainer;
  const trainingRoot = path.join(config.artifactDir, 'training');
  const runDir = (id: string) => path.join(trainingRoot, id);
  const embeddingCache = path.join(config.home, 'cache', 'embeddings');
  const getEmbedder = lazyEmbedder(config.home, logger, options.embedder);
  const log = activityLogger(logger);
  /** Candidates are read only from this worker's training folder, never from an arbitrary path in an input. */
  const candidateFile = (p: string) => {
    const resolved = path.resolve(p);
    if (!resolved.startsWith(`${trainingRoot}${path.sep}`)) invalid(`candidatePath: ${p} is not under ${trainingRoot}`);
    return resolved;
  };

  return {
    /**
     * Fine-tunes the production version on the examples with the specs' configuration (3 epochs for an emergency).
     * A retry of the same runId continues from the last epoch checkpoint; one after a finished run returns the same
     * result without training again.
     */
    async fineTune(raw: z.input<typeof fineTuneInput>): Promise<FineTuneOutput> {
      const input = parse(fineTuneInput, raw);
      const started = performance.now();
      const { info, cancellationSignal } = Context.current();
      const previous = trainerProgressSchema.safeParse(info.heartbeatDetails);
      const resumedAfter = previous.success ? previous.data : null;
      const l = log().child({ runId: input.runId, modelId: input.modelId, baseVersion: input.baseVersion });
      if (resumedAfter) l.info({ resumedAfter }, 'fine-tuning retried: resuming from the checkpoint folder');
      let hyperparameters: FineTuneSettings;
      try {
        // The input's learning rate, else the deployment's (LEARNLOOP_TRAINING_LR), else the trainer's default: the
        // specs' 1e-6 for a command trainer (an upstream LLM), 3e-3 for the tfjs reference head.
        hyperparameters = runFineTuneSettings({
          trainer: trainer.kind,
          emergency: input.emergency,
          configuredLearningRate: config.training.learningRate,
          hyperparameters: input.hyperparameters,
        });
      } catch (err) {
        invalid(`hyperparameters: ${(err as Error).message}`);
      }

      const dir = runDir(input.runId);
      await mkdir(dir, { recursive: true });
      const baseBytes = await registry.loadArtifact(input.modelId, input.baseVersion).catch((err: unknown) => {
        if (err instanceof RegistryError) invalid(`baseVersion: ${err.message}`);
        throw err;
      });
      const onnxPath = path.join(dir, 'base.onnx');
      await writeAtomically(onnxPath, baseBytes);
      let baseHead: HeadWeights | undefined;
      try {
        baseHead = headFromOnnx(baseBytes);
      } catch (err) {
        // Not a learnloop head (a user's own model): only a command trainer can start from it, given the ONNX file.
        if (trainer.kind === 'tfjs')
          invalid(
            `baseVersion: ${input.modelId}@${input.baseVersion} is not an embedding head, which is all the tfjs trainer trains: ${(err as Error).message}`,
          );
      }
      let weightsPath: string | undefined;
      if (baseHead) {
        const labels = baseHead.labels;
        const unknown = input.examples.findIndex((e) => !labels.includes(e.label));
        if (unknown >= 0)
          invalid(
            `examples.${unknown}.label: ${JSON.stringify(defined(input.examples[unknown], `examples.${unknown}`).label)} is none of ${input.modelId}@${input.baseVersion}'s labels`,
          );
        weightsPath = path.join(dir, 'base-weights.json');
        await writeJsonAtomically(weightsPath, headToJson(baseHead));
      }

      const ids = input.examples.map((e) => e.requestId);
      const embeddings = await embedExamples(pool, await getEmbedder(), ids, (done, total) => {
        Context.current().heartbeat({ embedded: done, total });
      }).catch((err: unknown) => {
        if (err instanceof UnknownExamplesError) invalid(`examples: ${err.message}`);
        throw err;
      });
      const feedback = input.learningCycleId ? await readTrainingSamples(pool, input.learningCycleId) : [];
      if (input.learningCycleId && feedback.length === 0) invalid(`learningCycleId: ${input.learningCycleId} stored no training samples`);
      if (feedback.length > 0 && trainer.kind === 'tfjs') {
        l.warn(
          { learningCycleId: input.learningCycleId, samples: feedback.length },
          "the tfjs trainer fits template labels; the learning cycle's text samples need a command trainer (LEARNLOOP_TRAINER_COMMAND)",
        );
      }
      const request: TrainerRequest = {
        contract: 'learnloop.trainer/v1',
        runId: input.runId,
        modelId: input.modelId,
        base: { version: input.baseVersion, onnxPath, weightsPath },
        examples: input.examples.map((e, i) => ({
          text: e.text,
          label: e.label,
          weight: e.weight,
          embedding: Array.from(defined(embeddings[i], `embedding of example ${i}`)),
        })),
        ...(feedback.length > 0
          ? { feedback: feedback.map(({ application, input, output, weight }) => ({ application, input, output, weight })) }
          : {}),
        hyperparameters,
        checkpointDir: path.join(dir, 'checkpoints'),
        outputDir: path.join(dir, 'output'),
      };
      l.info({ trainer: trainer.kind, examples: request.examples.length, hyperparameters }, 'fine-tuning started');
      const result = await trainer.train(request, {
        onProgress: (p) => {
          Context.current().heartbeat({ epoch: p.epoch, step: p.step, loss: p.loss });
        },
        signal: cancellationSignal,
        logger: l,
      });
      const output: FineTuneOutput = {
        runId: input.runId,
        trainer: trainer.kind,
        backend: result.backend,
        baseVersion: input.baseVersion,
        candidatePath: defined(result.weightsPath ?? result.onnxPath, "the trainer's output path"),
        losses: result.losses,
        validationLosses: result.validationLosses ?? [],
        epochsRun: result.epochsRun,
        steps: result.steps,
        examples: request.examples.length,
        feedbackSamples: feedback.length,
        hyperparameters,
        attempt: info.attempt,
        resumedFromEpoch: result.resumedFromEpoch ?? 0,
        resumedAfter,
        durationMs: Math.round(performance.now() - started),
      };
      l.info({ ...output, hyperparameters: undefined }, 'fine-tuning finished');
      return output;
    },

    /** Production and candidate on the same held-out canary set, and the specs' quality gate on the difference. */
    async evaluateCandidate(raw: z.input<typeof evaluateCandidateInput>): Promise<EvaluateCandidateOutput> {
      const input = parse(evaluateCandidateInput, raw);
      const candidate = await readHeadFile(candidateFile(input.candidatePath));
      const production = headFromOnnx(await registry.loadArtifact(input.modelId, input.productionVersion));
      const canary = options.canaryHeldOutSet(input.canary);
      const embeddings = await embedWithCache(await getEmbedder(), canary.texts, embeddingCache, logger);
      const evaluation = await evaluateAgainstProduction({ candidate, production, canary, embeddings });
      const gate = qualityGate({
        candidatePassRate: evaluation.candidate.passRate,
        productionPassRate: evaluation.production.passRate,
        emergency: input.emergency,
      });
      log().info({ modelId: input.modelId, canaryExamples: canary.texts.length, ...evaluation, gate }, 'candidate evaluated');
      return { canaryExamples: canary.texts.length, ...evaluation, gate };
    },

    /**
     * Exports trained weights to ONNX (a command trainer's ONNX file is taken as it is) and registers the version.
     * The export is deterministic, so a retry registers the same bytes and the registry answers with the same row.
     */
    async exportAndRegister(raw: z.input<typeof exportAndRegisterInput>): Promise<ExportAndRegisterOutput> {
      const input = parse(exportAndRegisterInput, raw);
      const source = candidateFile(input.candidatePath);
      let file = source;
      if (!source.endsWith('.onnx')) {
        const weights = await readHeadFile(source);
        file = path.join(runDir(input.runId), 'candidate.onnx');
        await writeAtomically(
          file,
          headToOnnx(weights, { 'learnloop.training': JSON.stringify({ runId: input.runId, ...input.metadata }) }),
        );
      } else {
        // Refuse now what the router could not serve later.
        onnxOrInvalid(await readFile(source));
      }
      const registered = await registry
        .register({
          modelId: input.modelId,
          version: input.version,
          file,
          metrics: input.metrics,
          metadata: { ...input.metadata, trainingRunId: input.runId },
        })
        .catch((err: unknown) => {
          if (err instanceof RegistryError) invalid(`version: ${err.message}`);
          throw err;
        });
      log().info({ modelId: input.modelId, version: input.version, sha256: registered.sha256 }, 'candidate registered');
      return { modelId: registered.modelId, version: registered.version, sha256: registered.sha256, artifactUri: registered.artifactUri };
    },
  };
}

function onnxOrInvalid(bytes: Uint8Array): void {
  try {
    headFromOnnx(bytes);
  } catch (err) {
    invalid(`candidatePath: not a servable head: ${(err as Error).message}`);
  }
}
