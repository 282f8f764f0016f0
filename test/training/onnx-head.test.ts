import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { seededRandom } from '../../src/training/random.js';
import { initialHead, predictHead, type HeadWeights } from '../../src/training/head.js';
import { HEAD_INPUT, HEAD_OUTPUT, headFromOnnx, headToOnnx, onnxLabels, onnxMetadata } from '../../src/training/onnx-head.js';
import { trainHead } from '../../src/training/train-head.js';
import { clusters } from './clusters.js';

const labels = ['alpha', 'beta', 'gamma'];
const data = clusters({ classes: 3, perClass: 20, dim: 384, spread: 0.1, seed: 9 });

async function onnxProbabilities(bytes: Uint8Array, embeddings: Float32Array[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const flat = new Float32Array(embeddings.length * 384);
    embeddings.forEach((e, i) => {
      flat.set(e, i * 384);
    });
    const out = await session.run({ [HEAD_INPUT]: new ort.Tensor('float32', flat, [embeddings.length, 384]) });
    assert.deepEqual(out[HEAD_OUTPUT]!.dims, [embeddings.length, labels.length]);
    return out[HEAD_OUTPUT]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

for (const hiddenUnits of [[], [32]]) {
  test(`onnxruntime computes the same probabilities as tfjs for a trained head with ${hiddenUnits.length} hidden layer(s)`, async () => {
    const { weights } = await trainHead({ ...data, labels, epochs: 3, learningRate: 0.01, batchSize: 8, seed: 1, hiddenUnits });
    const bytes = headToOnnx(weights);
    const expected = (await predictHead(weights, data.embeddings)).flatMap((row) => [...row]);
    const got = await onnxProbabilities(bytes, data.embeddings);
    assert.equal(got.length, expected.length);
    expected.forEach((p, i) => {
      assert.ok(Math.abs(p - got[i]!) < 1e-5, `probability ${i}: tfjs ${p}, onnx ${String(got[i])}`);
    });
  });
}

test('a head read back from its ONNX file has the same weights, labels and metadata', () => {
  const weights: HeadWeights = initialHead({ inputDim: 384, hiddenUnits: [8], labels, rand: seededRandom(2) });
  weights.layers[1]!.bias.set([0.5, -0.25, 1]);
  const bytes = headToOnnx(weights, { 'learnloop.training': '{"seed":2}' });
  assert.deepEqual(headFromOnnx(bytes), weights);
  assert.deepEqual(onnxLabels(bytes), labels);
  assert.equal(onnxMetadata(bytes)['learnloop.training'], '{"seed":2}');
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  assert.equal(Number(model.opsetImport[0]!.version), 13);
  assert.deepEqual(
    model.graph!.node!.map((n) => n.opType),
    ['Gemm', 'Relu', 'Gemm', 'Softmax'],
  );
});

test('an ONNX file that is not a learnloop head is refused with the reason', () => {
  const weights = initialHead({ inputDim: 384, hiddenUnits: [], labels, rand: seededRandom(3) });
  const model = onnxProto.onnx.ModelProto.decode(headToOnnx(weights));
  model.metadataProps = [];
  assert.throws(() => headFromOnnx(onnxProto.onnx.ModelProto.encode(model).finish()), /no learnloop.labels metadata/);
  const noSoftmax = onnxProto.onnx.ModelProto.decode(headToOnnx(weights));
  noSoftmax.graph!.node!.pop();
  assert.throws(() => headFromOnnx(onnxProto.onnx.ModelProto.encode(noSoftmax).finish()), /does not end in a Softmax/);
  assert.throws(() => headToOnnx({ labels: ['a'], layers: weights.layers }), /3 outputs for 1 labels/);
});
