import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { SentenceEmbedder } from '../models/embedder.js';
import { selectTrainingBackend } from '../training/backend.js';
import { headToOnnx } from '../training/onnx-head.js';
import { predictHead, trainHead, type HeadWeights } from '../training/softmax-head.js';
import { generateRequirements, type Phrasing } from './generator.js';
import { seededRandom } from './random.js';
import { checkOutput, templateNames, type Requirement } from './task.js';

export interface HeldOutMetrics {
  examples: number;
  accuracy: number;
  passRate: number;
}

export interface BuiltVersion {
  version: 'v1' | 'v2';
  file: string;
  metrics: HeldOutMetrics & { trainingExamples: number; epochs: number; finalLoss: number; backend: string };
}

export async function evaluateHead(
  weights: HeadWeights,
  requirements: Requirement[],
  embeddings: Float32Array[],
): Promise<HeldOutMetrics> {
  const probabilities = predictHead(weights, embeddings);
  let correct = 0;
  let pass = 0;
  probabilities.forEach((p, i) => {
    const label = weights.labels[p.indexOf(Math.max(...p))]!;
    const r = requirements[i]!;
    if (label === r.template) correct++;
    pass += checkOutput(r, label).testPassRate;
  });
  return { examples: requirements.length, accuracy: correct / requirements.length, passRate: pass / requirements.length };
}

/**
 * Trains the reference model's two versions on the CPU: `v1` on the full training set, and `v2` the way a
 * careless retrain would (a handful of examples, a third of them mislabelled), so it is really worse on held-out
 * data and a rollout has something real to catch.
 */
export async function buildReferenceModels(opts: {
  embedder: SentenceEmbedder;
  outDir: string;
  seed?: number;
  phrasing?: Phrasing;
  logger?: Logger;
}): Promise<BuiltVersion[]> {
  const seed = opts.seed ?? 7;
  const backend = await selectTrainingBackend(opts.logger);
  const train = generateRequirements({ seed, count: 400, phrasing: opts.phrasing });
  const heldOut = generateRequirements({ seed: seed + 1_000, count: 200, phrasing: opts.phrasing });
  const [trainX, heldOutX] = [
    await opts.embedder.embed(train.map((r) => r.text)),
    await opts.embedder.embed(heldOut.map((r) => r.text)),
  ];
  const labels = [...templateNames];
  const target = (r: Requirement) => labels.indexOf(r.template);
  const rand = seededRandom(seed + 2);
  const noisy = train.slice(0, 24).map((r, i) => (i % 3 === 0 ? Math.floor(rand() * labels.length) : target(r)));
  const recipes = [
    { version: 'v1' as const, x: trainX, y: train.map(target), epochs: 40 },
    { version: 'v2' as const, x: trainX.slice(0, 24), y: noisy, epochs: 10 },
  ];
  await mkdir(opts.outDir, { recursive: true });
  const built: BuiltVersion[] = [];
  for (const recipe of recipes) {
    const { weights, losses } = await trainHead({
      embeddings: recipe.x,
      targets: recipe.y,
      labels,
      epochs: recipe.epochs,
      learningRate: 0.05,
      batchSize: 16,
      seed,
    });
    const file = path.join(opts.outDir, `reference-${recipe.version}.onnx`);
    await writeFile(file, headToOnnx(weights));
    const metrics = {
      ...(await evaluateHead(weights, heldOut, heldOutX)),
      trainingExamples: recipe.x.length,
      epochs: recipe.epochs,
      finalLoss: losses.at(-1) ?? NaN,
      backend,
    };
    opts.logger?.info({ version: recipe.version, ...metrics }, 'reference model version trained');
    built.push({ version: recipe.version, file, metrics });
  }
  return built;
}
