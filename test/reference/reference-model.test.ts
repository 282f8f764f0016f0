import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../../src/config.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { buildReferenceModels } from '../../src/reference/build.js';
import { generateRequirements } from '../../src/reference/generator.js';
import { checkOutput } from '../../src/reference/task.js';
import { headFromOnnx, HEAD_INPUT, HEAD_OUTPUT } from '../../src/training/onnx-head.js';
import { predictHead } from '../../src/training/softmax-head.js';

test('the generator gives the same requirements for a seed and different ones for another', () => {
  const a = generateRequirements({ seed: 1, count: 20 });
  assert.deepEqual(a, generateRequirements({ seed: 1, count: 20 }));
  assert.notDeepEqual(a, generateRequirements({ seed: 2, count: 20 }));
  assert.notDeepEqual(
    a.map((r) => r.text),
    generateRequirements({ seed: 1, count: 20, phrasing: 'drifted' }).map((r) => r.text),
  );
});

test('an output passes every check only when its template provides every needed feature', () => {
  const needs = ['create', 'read', 'update', 'delete', 'list'];
  assert.deepEqual(checkOutput({ needs }, 'rest_crud'), { testPassRate: 1, implementationVariance: 0 });
  const partial = checkOutput({ needs }, 'pagination');
  assert.equal(partial.testPassRate, 0.2, 'pagination provides list only');
  assert.ok(Math.abs(partial.implementationVariance - (0.2 * 0.8) / 5) < 1e-12);
  assert.equal(checkOutput({ needs }, 'webhook_delivery').testPassRate, 0);
  assert.equal(checkOutput({ needs }, 'no_such_template').testPassRate, 0);
});

test('reference v1 beats v2 on held-out data, and the exported ONNX computes what was trained', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'learnloop-ref-'));
  const embedder = await SentenceEmbedder.load(embeddingModelDir(loadConfig().home));
  try {
    const [v1, v2] = await buildReferenceModels({ embedder, outDir: out, seed: 7 });
    assert.ok(v1 && v2);
    assert.equal(v1.metrics.backend, 'wasm');
    assert.ok(v1.metrics.passRate >= v2.metrics.passRate + 0.1, `v1 ${v1.metrics.passRate} vs v2 ${v2.metrics.passRate}`);
    assert.ok(v1.metrics.accuracy > 0.8, `v1 accuracy ${v1.metrics.accuracy}`);

    const bytes = readFileSync(v1.file);
    const weights = headFromOnnx(bytes);
    const sample = await embedder.embed(['Expose CRUD endpoints for the order resource', 'cap noisy api tenants']);
    const expected = predictHead(weights, sample);
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({ [HEAD_INPUT]: new ort.Tensor('float32', Float32Array.from(sample.flatMap((s) => [...s])), [2, 384]) });
    const got = result[HEAD_OUTPUT]!.data as Float32Array;
    expected.flatMap((p) => [...p]).forEach((p, i) => assert.ok(Math.abs(p - got[i]!) < 1e-5, `probability ${i}`));
    await session.release();
  } finally {
    await embedder.close();
    rmSync(out, { recursive: true, force: true });
  }
});
