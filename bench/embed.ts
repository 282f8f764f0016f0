/**
 * Sentences per second of learnloop's embedding path (SentenceEmbedder) against @huggingface/transformers'
 * feature-extraction pipeline (mean pooling + normalize), on the same model file, the same sentences, the same
 * batch size and the same ONNX Runtime thread count, in the same run. Rounds alternate between the paths so drift
 * on a shared machine hits all alike. `ours` embeds the whole list (batches formed by token length, as
 * sentence-transformers does); `oursSameBatches` is fed the very batches transformers.js gets, which separates the
 * gain of length bucketing from the rest. Two workloads: router-like traffic with a long tail (the headline
 * numbers) and uniform short sentences. The last stdout line is the JSON result.
 *
 *   npx tsx bench/embed.ts [--sentences 256] [--batch-size 32] [--rounds 3] [--threads N]
 */
import { defined } from '../src/platform/defined.js';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { z } from 'zod';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { SentenceEmbedder } from '../src/models/embedder.js';
import { fetchEmbeddingModel } from '../src/models/fetch-model.js';
import { cosineSimilarity } from '../src/models/pooling.js';

const argsSchema = z.object({
  sentences: z.coerce.number().int().min(1).default(256),
  'batch-size': z.coerce.number().int().min(1).default(32),
  rounds: z.coerce.number().int().min(1).default(3),
  threads: z.coerce.number().int().min(1).default(availableParallelism()),
});

/**
 * Deterministic text so every run measures the same work. With `longTail`, router-like traffic: 70% one clause
 * (~15 tokens), the rest three or eight clauses (~45 / ~120 tokens); without, every sentence is one clause.
 */
function makeSentences(count: number, longTail: boolean): string[] {
  let seed = 0x9e3779b9;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => defined(xs[Math.floor(rand() * xs.length)], 'picked element');
  const subjects = [
    'the canary',
    'our retraining job',
    'the router',
    'a customer',
    'the billing service',
    'model v7',
    'the nightly cycle',
    'support',
  ];
  const verbs = ['reported', 'rolled back', 'promoted', 'flagged', 'retried', 'ignored', 'summarised', 'escalated'];
  const objects = [
    'a latency spike',
    'the refund request',
    'three duplicate tickets',
    'an accuracy drop to 0.91',
    'the password reset',
    'traffic from Zürich',
    'a malformed payload',
    'the weekly report',
  ];
  const tails = [
    'after the deploy',
    'before noon',
    'without any alert',
    'during the A/B test',
    'for the second time today',
    'on 2024-03-15',
    'once the queue drained',
    'while the cache was cold',
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const clauses = !longTail || rand() < 0.7 ? 1 : rand() < 0.8 ? 3 : 8;
    const parts: string[] = [];
    for (let c = 0; c < clauses; c++) parts.push(`${pick(subjects)} ${pick(verbs)} ${pick(objects)} ${pick(tails)}`);
    const s = parts.join(', and ');
    out.push(s.charAt(0).toUpperCase() + s.slice(1) + (rand() < 0.2 ? '?' : '.'));
  }
  return out;
}

/** transformers.js loads `<localModelPath>/<id>/{config,tokenizer*}.json` and `onnx/model.onnx`: link ours there. */
async function transformersJsLayout(modelDir: string): Promise<{ root: string; id: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'learnloop-bench-tjs-'));
  const id = 'all-MiniLM-L6-v2';
  await mkdir(path.join(root, id, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    await symlink(path.join(modelDir, f), path.join(root, id, f));
  }
  await symlink(path.join(modelDir, 'model.onnx'), path.join(root, id, 'onnx', 'model.onnx'));
  return { root, id };
}

type Embed = (sentences: string[]) => Promise<Float32Array[]>;

interface Rate {
  sentencesPerSec: number;
}

interface Measurement {
  ours: Rate;
  transformersJs: Rate;
  speedupVsTransformersJs: number;
  /** Ours fed the caller's batches one by one, so no sorting across them: what is left without length bucketing. */
  oursSameBatches: Rate;
  speedupSameBatches: number;
  /** Lowest cosine between the two paths' vectors for the same sentence: both must compute the same thing. */
  minCosineOursVsTransformersJs: number;
}

async function measure(
  sentences: string[],
  rounds: number,
  runners: { ours: Embed; oursSameBatches: Embed; transformersJs: Embed },
): Promise<Measurement> {
  // The first pass of each is the warm-up, and proof that the paths compute the same embeddings.
  const names = ['ours', 'oursSameBatches', 'transformersJs'] as const;
  const warm: Float32Array[][] = [];
  for (const n of names) warm.push(await runners[n](sentences));
  let minCosine = 1;
  const [first, second, third] = [defined(warm[0], 'first runner'), defined(warm[1], 'second runner'), defined(warm[2], 'third runner')];
  for (let i = 0; i < sentences.length; i++) {
    const [a, b, c] = [defined(first[i], `embedding ${i}`), defined(second[i], `embedding ${i}`), defined(third[i], `embedding ${i}`)];
    minCosine = Math.min(minCosine, cosineSimilarity(a, c), cosineSimilarity(b, c));
  }

  const seconds = { ours: 0, oursSameBatches: 0, transformersJs: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const start = process.hrtime.bigint();
      await runners[n](sentences);
      seconds[n] += Number(process.hrtime.bigint() - start) / 1e9;
    }
  }
  const rate = (n: (typeof names)[number]) => ({ sentencesPerSec: round((sentences.length * rounds) / seconds[n], 1) });
  return {
    ours: rate('ours'),
    transformersJs: rate('transformersJs'),
    speedupVsTransformersJs: round(seconds.transformersJs / seconds.ours, 3),
    oursSameBatches: rate('oursSameBatches'),
    speedupSameBatches: round(seconds.transformersJs / seconds.oursSameBatches, 3),
    minCosineOursVsTransformersJs: round(minCosine, 6),
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sentences: { type: 'string' },
      'batch-size': { type: 'string' },
      rounds: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const args = argsSchema.parse(values);
  const batchSize = args['batch-size'];
  const logger = createLogger({ level: 'warn' });
  const { modelDir } = await fetchEmbeddingModel({ home: loadConfig().home, logger });

  const embedder = await SentenceEmbedder.load(modelDir, { batchSize, intraOpThreads: args.threads });
  const layout = await transformersJsLayout(modelDir);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = layout.root;
  env.useFSCache = false;
  const extractor: FeatureExtractionPipeline = await pipeline('feature-extraction', layout.id, {
    dtype: 'fp32', // the file name transformers.js maps fp32 to (onnx/model.onnx); the bytes are our int8 model
    device: 'cpu',
    // Same thread count as ours; everything else is transformers.js' own default.
    session_options: { intraOpNumThreads: args.threads },
  });

  const inCallerBatches =
    (embedBatch: Embed): Embed =>
    async (sentences) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < sentences.length; i += batchSize) out.push(...(await embedBatch(sentences.slice(i, i + batchSize))));
      return out;
    };
  const runners = {
    ours: (sentences: string[]) => embedder.embed(sentences),
    oursSameBatches: inCallerBatches((batch) => embedder.embed(batch)),
    transformersJs: inCallerBatches(async (batch) => {
      const t = await extractor(batch, { pooling: 'mean', normalize: true });
      const [rows, dim] = t.dims as [number, number];
      const data = t.data as Float32Array;
      return Array.from({ length: rows }, (_, r) => data.slice(r * dim, (r + 1) * dim));
    }),
  };

  try {
    const uniform = await measure(makeSentences(args.sentences, false), args.rounds, runners);
    const traffic = await measure(makeSentences(args.sentences, true), args.rounds, runners);
    console.log(
      JSON.stringify({
        sentences: args.sentences,
        batchSize,
        rounds: args.rounds,
        threads: args.threads,
        workload: 'router-like: 70% ~15 tokens, long tail to ~120 tokens',
        ...traffic,
        uniformShortSentences: uniform,
      }),
    );
  } finally {
    await embedder.close();
    await extractor.dispose();
    await rm(layout.root, { recursive: true, force: true });
  }
}

await main();
