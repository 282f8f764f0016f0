import onnxProto from 'onnx-proto';
import type { HeadWeights } from './softmax-head.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export const HEAD_INPUT = 'embedding';
export const HEAD_OUTPUT = 'probabilities';
const LABELS_KEY = 'learnloop.labels';

const floatTensor = (name: string, dims: number[], values: Float32Array) =>
  onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice() });

const valueInfo = (name: string, dims: (number | string)[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });

/** The head as an ONNX graph: Gemm then Softmax, opset 13, with the label order in the model's metadata. */
export function headToOnnx(weights: HeadWeights, producer = { name: 'learnloop', version: '0.1.0' }): Uint8Array {
  const c = weights.labels.length;
  const graph = onnx.GraphProto.create({
    name: 'learnloop_softmax_head',
    node: [
      onnx.NodeProto.create({ opType: 'Gemm', input: [HEAD_INPUT, 'W', 'B'], output: ['logits'], name: 'gemm' }),
      onnx.NodeProto.create({
        opType: 'Softmax',
        input: ['logits'],
        output: [HEAD_OUTPUT],
        name: 'softmax',
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
      }),
    ],
    initializer: [floatTensor('W', [weights.inputDim, c], weights.kernel), floatTensor('B', [c], weights.bias)],
    input: [valueInfo(HEAD_INPUT, ['batch', weights.inputDim])],
    output: [valueInfo(HEAD_OUTPUT, ['batch', c])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: producer.name,
    producerVersion: producer.version,
    graph,
    metadataProps: [{ key: LABELS_KEY, value: JSON.stringify(weights.labels) }],
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads a head back from its ONNX file (to fine-tune from the production version's weights). */
export function headFromOnnx(bytes: Uint8Array): HeadWeights {
  const model = onnx.ModelProto.decode(bytes);
  const labels = onnxLabels(model);
  const init = (name: string) => {
    const t = model.graph?.initializer?.find((i) => i.name === name);
    if (!t?.rawData) throw new Error(`ONNX head has no initializer ${name}`);
    const raw = t.rawData;
    return { dims: (t.dims ?? []).map(Number), values: new Float32Array(Uint8Array.from(raw).buffer) };
  };
  const w = init('W');
  const b = init('B');
  return { inputDim: w.dims[0]!, labels, kernel: Float32Array.from(w.values), bias: Float32Array.from(b.values) };
}

export function onnxLabels(model: ReturnType<typeof onnx.ModelProto.decode> | Uint8Array): string[] {
  const m = model instanceof Uint8Array ? onnx.ModelProto.decode(model) : model;
  const raw = m.metadataProps?.find((p) => p.key === LABELS_KEY)?.value;
  if (!raw) throw new Error(`ONNX model carries no ${LABELS_KEY} metadata`);
  return JSON.parse(raw) as string[];
}
