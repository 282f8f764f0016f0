import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../../src/config.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { buildReferenceModels, referenceSplits, type BuiltVersion } from '../../src/reference/build.js';
import { embedWithCache } from '../../src/models/embedding-cache.js';
import { evaluateHead } from '../../src/reference/evaluate.js';
import { predictHead } from '../../src/training/head.js';
import { HEAD_INPUT, HEAD_OUTPUT, headFromOnnx, onnxLabels } from '../../src/training/onnx-head.js';

// The real encoder (npm run fetch-model) and the embedding cache the CLI uses, so repeated runs skip re-embedding;
// test/models/embedding-cache.test.ts holds the cache to the encoder's own output.
const home = loadConfig().home;
const cacheDir = path.join(home, 'cache', 'embeddings');
let embedder: SentenceEmbedder;
let out: string;
let v1: BuiltVersion;
let v2: BuiltVersion;

before(async () => {
  embedder = await SentenceEmbedder.load(embeddingModelDir(home));
  out = mkdtempSync(path.join(tmpdir(), 'learnloop-ref-'));
  [v1, v2] = (await buildReferenceModels({ embedder, outDir: path.join(out, 'a'), seed: 7, cacheDir })) as [BuiltVersion, BuiltVersion];
});

after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (embedder as typeof embedder | undefined)?.close();
  rmSync(out, { recursive: true, force: true });
});

test('reference v1 beats v2 on held-out requirements by at least 0.10 pass rate, both trained on wasm', () => {
  assert.equal(v1.version, 'v1');
  assert.equal(v2.version, 'v2');
  assert.equal(v1.metrics.backend, 'wasm');
  assert.ok(v1.metrics.passRate >= v2.metrics.passRate + 0.1, `v1 ${v1.metrics.passRate} vs v2 ${v2.metrics.passRate}`);
  assert.ok(v1.metrics.accuracy >= 0.9, `v1 accuracy ${v1.metrics.accuracy}`);
  assert.ok(v2.metrics.trainingExamples < v1.metrics.trainingExamples && v2.metrics.labelNoise > 0);
  assert.equal(v1.metrics.heldOutExamples, referenceSplits(7).heldOut.length);
});

test('drifted phrasing costs v1 pass rate, so drift is visible in production', () => {
  assert.ok(
    v1.metrics.driftedPassRate <= v1.metrics.passRate - 0.05,
    `standard ${v1.metrics.passRate}, drifted ${v1.metrics.driftedPassRate}`,
  );
});

test('the exported ONNX files compute what tfjs trained, on real held-out embeddings', async () => {
  const sample = referenceSplits(7).heldOut.slice(0, 40);
  const x = await embedWithCache(
    embedder,
    sample.map((r) => r.text),
    cacheDir,
  );
  const flat = new Float32Array(x.length * embedder.dimension);
  x.forEach((e, i) => {
    flat.set(e, i * embedder.dimension);
  });
  for (const version of [v1, v2]) {
    const bytes = readFileSync(version.file);
    const weights = headFromOnnx(bytes);
    assert.deepEqual(onnxLabels(bytes), weights.labels);
    const expected = (await predictHead(weights, x)).flatMap((row) => [...row]);
    const session = await ort.InferenceSession.create(bytes);
    const got = (await session.run({ [HEAD_INPUT]: new ort.Tensor('float32', flat, [x.length, embedder.dimension]) }))[HEAD_OUTPUT]!
      .data as Float32Array;
    await session.release();
    expected.forEach((p, i) => {
      assert.ok(Math.abs(p - got[i]!) < 1e-5, `${version.version} probability ${i}: tfjs ${p}, onnx ${String(got[i])}`);
    });
  }
  const { heldOut } = referenceSplits(7);
  const reloaded = await evaluateHead(
    headFromOnnx(readFileSync(v1.file)),
    heldOut,
    await embedWithCache(
      embedder,
      heldOut.map((r) => r.text),
      cacheDir,
    ),
  );
  assert.equal(reloaded.passRate, v1.metrics.passRate, 'the file holds the weights that were measured');
});

test('the same seed builds byte-identical model files', async () => {
  const again = await buildReferenceModels({ embedder, outDir: path.join(out, 'b'), seed: 7, cacheDir });
  for (const [i, version] of [v1, v2].entries()) {
    assert.ok(readFileSync(version.file).equals(readFileSync(again[i]!.file)), `${version.version} differs between builds`);
  }
});
