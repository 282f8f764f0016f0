import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defined } from '../platform/defined.js';
import type { AdamWState } from './adamw.js';
import type { HeadWeights } from './head.js';
import { headFromJson, headToJson, headWeightsJsonSchema, writeJsonAtomically } from './weights-file.js';

/**
 * Training state at the end of an epoch: enough to continue as if the run had never stopped. The shuffle order of
 * epoch e is a pure function of (seed, e) (see fine-tune.ts), so `seed` and `epochsDone` are the random state.
 */
export interface Checkpoint {
  /** Hash of the settings and examples it was trained with: a checkpoint of another run is never resumed. */
  fingerprint: string;
  seed: number;
  epochsDone: number;
  /** The learning-rate schedule's length the run began with (absent in checkpoints written before it was saved). */
  scheduledSteps?: number;
  optimizer: AdamWState;
  weights: HeadWeights;
  /** Best validation loss so far and the weights that reached it (early stopping returns those). */
  best: { epoch: number; validationLoss: number; weights: HeadWeights };
  epochsWithoutImprovement: number;
  /** Per finished epoch: weighted mean training loss and validation loss. */
  losses: number[];
  validationLosses: number[];
}

const floats = z.array(z.number()).transform((v) => Float32Array.from(v));
const weightsSchema = headWeightsJsonSchema.transform(headFromJson);
const checkpointSchema = z.strictObject({
  format: z.literal(1),
  fingerprint: z.string(),
  seed: z.number().int(),
  epochsDone: z.number().int().min(1),
  scheduledSteps: z.number().int().min(1).optional(),
  optimizer: z.strictObject({ step: z.number().int().min(0), firstMoments: z.array(floats), secondMoments: z.array(floats) }),
  weights: weightsSchema,
  best: z.strictObject({ epoch: z.number().int().min(0), validationLoss: z.number(), weights: weightsSchema }),
  epochsWithoutImprovement: z.number().int().min(0),
  losses: z.array(z.number()),
  validationLosses: z.array(z.number()),
});

const fileName = (epochsDone: number) => `epoch-${String(epochsDone).padStart(4, '0')}.json`;
const FILE_PATTERN = /^epoch-(\d{4})\.json$/;

/** Writes the checkpoint atomically, then removes older ones: the newest complete file is always on disk. */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, fileName(checkpoint.epochsDone));
  await writeJsonAtomically(file, {
    format: 1,
    ...checkpoint,
    optimizer: {
      step: checkpoint.optimizer.step,
      firstMoments: checkpoint.optimizer.firstMoments.map((m) => Array.from(m)),
      secondMoments: checkpoint.optimizer.secondMoments.map((v) => Array.from(v)),
    },
    weights: headToJson(checkpoint.weights),
    best: { ...checkpoint.best, weights: headToJson(checkpoint.best.weights) },
  });
  for (const older of (await checkpointFiles(dir)).filter((f) => f.epochsDone < checkpoint.epochsDone)) {
    await rm(path.join(dir, older.name), { force: true });
  }
  return file;
}

/** The newest checkpoint in `dir`, or undefined when there is none (or no such folder). */
export async function loadLatestCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const newest = (await checkpointFiles(dir)).at(-1);
  if (!newest) return undefined;
  const file = path.join(dir, newest.name);
  const parsed = checkpointSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw new Error(`checkpoint ${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const { format: _format, ...checkpoint } = parsed.data;
  return checkpoint;
}

async function checkpointFiles(dir: string): Promise<{ name: string; epochsDone: number }[]> {
  const names = await readdir(dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  });
  return names
    .flatMap((name) => {
      const match = FILE_PATTERN.exec(name);
      return match ? [{ name, epochsDone: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.epochsDone - b.epochsDone);
}
