import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { defined } from '../platform/defined.js';
import { meanPoolNormalize } from './pooling.js';

export const embedderOptionsSchema = z.strictObject({
  /** Tokens per sentence including [CLS]/[SEP]; longer input is truncated (sentence-transformers uses 256). */
  maxSequenceLength: z.number().int().min(2).default(256),
  /** Sentences per ONNX run. */
  batchSize: z.number().int().min(1).default(32),
  /** ONNX Runtime intra-op threads; defaults to the cores this process may use. */
  intraOpThreads: z.number().int().min(1).optional(),
});
export type EmbedderOptions = z.input<typeof embedderOptionsSchema> & { logger?: Logger };

const modelConfigSchema = z.object({
  hidden_size: z.number().int().positive(),
  max_position_embeddings: z.number().int().positive(),
});
const tokenizerJsonSchema = z.looseObject({ model: z.looseObject({ type: z.string() }) });
const tokenizerConfigSchema = z.looseObject({ cls_token: z.string().optional(), sep_token: z.string().optional() });

/**
 * What this module uses of tokenizers.js's Tokenizer. The package's declarations re-export without file extensions,
 * which NodeNext resolution cannot follow, so the imported class itself reads as an unresolved type.
 */
interface TextTokenizer {
  encode(text: string): { ids: number[] };
  token_to_id(token: string): number | undefined;
}
const TextTokenizerClass = Tokenizer as unknown as new (tokenizerJson: object, tokenizerConfig: object) => TextTokenizer;

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
const HIDDEN_STATE_OUTPUTS = ['last_hidden_state', 'token_embeddings'];

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first schema issue');
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Sentence embeddings from a BERT-style ONNX encoder (all-MiniLM-L6-v2): tokenizers.js, one ONNX Runtime session,
 * mean pooling over the attention mask and L2 normalisation, matching sentence-transformers.
 */
export class SentenceEmbedder {
  readonly dimension: number;
  readonly maxSequenceLength: number;
  readonly batchSize: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    private readonly outputName: string,
    private readonly feedsAttentionMask: boolean,
    private readonly feedsTokenTypeIds: boolean,
    private readonly sepId: number,
    dimension: number,
    maxSequenceLength: number,
    batchSize: number,
  ) {
    this.dimension = dimension;
    this.maxSequenceLength = maxSequenceLength;
    this.batchSize = batchSize;
  }

  /** Loads `model.onnx`, `tokenizer.json`, `tokenizer_config.json` and `config.json` from `modelDir`. */
  static async load(modelDir: string, options: EmbedderOptions = {}): Promise<SentenceEmbedder> {
    const { logger, ...rest } = options;
    const opts = embedderOptionsSchema.parse(rest);
    const [config, tokenizerJson, tokenizerConfig] = await Promise.all([
      readJson(path.join(modelDir, 'config.json'), modelConfigSchema),
      readJson(path.join(modelDir, 'tokenizer.json'), tokenizerJsonSchema),
      readJson(path.join(modelDir, 'tokenizer_config.json'), tokenizerConfigSchema),
    ]);
    const tokenizer = new TextTokenizerClass(tokenizerJson, tokenizerConfig);
    const sepToken = tokenizerConfig.sep_token ?? '[SEP]';
    const sepId = tokenizer.token_to_id(sepToken);
    if (sepId === undefined) throw new Error(`${modelDir}: separator token ${sepToken} is not in the vocabulary`);

    const intraOpThreads = opts.intraOpThreads ?? availableParallelism();
    const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), {
      executionProviders: ['cpu'],
      // Measured on this model (bench/embed.ts, 2-core x86): 'basic' (constant folding of the int8→fp32 weight
      // dequantisation) runs 3–6% faster than 'extended'/'all', whose fusions do not pay off for this graph.
      graphOptimizationLevel: 'basic',
      executionMode: 'sequential',
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
    });

    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n));
    if (!session.inputNames.includes('input_ids') || unknown.length > 0) {
      await session.release();
      throw new Error(
        `${modelDir}/model.onnx: expected inputs input_ids[, attention_mask, token_type_ids], found ${session.inputNames.join(', ')}`,
      );
    }
    const outputName = HIDDEN_STATE_OUTPUTS.find((n) => session.outputNames.includes(n));
    if (outputName === undefined) {
      await session.release();
      throw new Error(
        `${modelDir}/model.onnx: expected an output named ${HIDDEN_STATE_OUTPUTS.join(' or ')}, found ${session.outputNames.join(', ')}`,
      );
    }
    const outputMeta = session.outputMetadata.find((m) => m.name === outputName);
    const lastDim = outputMeta?.isTensor ? outputMeta.shape.at(-1) : undefined;
    if (typeof lastDim === 'number' && lastDim !== config.hidden_size) {
      await session.release();
      throw new Error(`${modelDir}: model.onnx emits ${lastDim}-wide states but config.json says hidden_size ${config.hidden_size}`);
    }

    const maxSequenceLength = Math.min(opts.maxSequenceLength, config.max_position_embeddings);
    logger?.debug(
      { modelDir, inputs: session.inputNames, output: outputName, dimension: config.hidden_size, maxSequenceLength, intraOpThreads },
      'sentence embedder loaded',
    );
    return new SentenceEmbedder(
      session,
      tokenizer,
      outputName,
      session.inputNames.includes('attention_mask'),
      session.inputNames.includes('token_type_ids'),
      sepId,
      config.hidden_size,
      maxSequenceLength,
      opts.batchSize,
    );
  }

  /**
   * One unit-length vector per text, in input order. Texts are run in batches of similar token length (as
   * sentence-transformers' encode does), so short sentences do not pay for the padding of long ones.
   */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const ids = texts.map((t) => this.tokenize(t));
    const tokenIds = (i: number): number[] => defined(ids[i], 'token ids of a text');
    const order = ids.map((_, i) => i).sort((a, b) => tokenIds(b).length - tokenIds(a).length);
    const out = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      const vectors = await this.runBatch(batch.map(tokenIds));
      for (const [j, i] of batch.entries()) out[i] = defined(vectors[j], 'embedding of a batch row');
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  /** Token ids with special tokens, truncated like the reference: keep the head, end with [SEP]. */
  private tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.maxSequenceLength) return ids;
    const kept = ids.slice(0, this.maxSequenceLength - 1);
    kept.push(this.sepId);
    return kept;
  }

  private async runBatch(batch: readonly number[][]): Promise<Float32Array[]> {
    const rows = batch.length;
    const seqLen = defined(batch[0], 'first sequence of the batch').length; // batches are sorted longest first
    const size = rows * seqLen;
    // int64 tensors written through an Int32 view (little-endian low words): ids are small and non-negative,
    // so this avoids allocating a BigInt per token.
    const inputIds = new BigInt64Array(size);
    const idWords = new Int32Array(inputIds.buffer);
    const mask = this.feedsAttentionMask ? new BigInt64Array(size) : undefined;
    const maskWords = mask ? new Int32Array(mask.buffer) : undefined;
    const lengths = new Int32Array(rows);
    for (const [r, seq] of batch.entries()) {
      lengths[r] = seq.length;
      const base = r * seqLen * 2;
      for (const [t, id] of seq.entries()) {
        idWords[base + 2 * t] = id;
        if (maskWords) maskWords[base + 2 * t] = 1;
      }
    }
    const dims = [rows, seqLen];
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', inputIds, dims) };
    if (mask) feeds.attention_mask = new ort.Tensor('int64', mask, dims);
    if (this.feedsTokenTypeIds) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(size), dims);

    const result = await this.session.run(feeds, [this.outputName]);
    const hidden = defined(result[this.outputName], `model output ${this.outputName}`);
    if (hidden.type !== 'float32' || hidden.dims.length !== 3 || hidden.dims[2] !== this.dimension) {
      throw new Error(
        `model returned ${hidden.type} ${JSON.stringify(hidden.dims)}, expected float32 [${rows},${seqLen},${this.dimension}]`,
      );
    }
    return meanPoolNormalize(hidden.data as Float32Array, lengths, seqLen, this.dimension);
  }
}
