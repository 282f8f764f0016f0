import onnxProto from 'onnx-proto';
import { defined } from '../platform/defined.js';
import { assertHeadShape, type DenseLayer, type HeadWeights } from './head.js';

const { onnx } = onnxProto;
type ModelProto = ReturnType<typeof onnx.ModelProto.decode>;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export const HEAD_INPUT = 'embedding';
export const HEAD_OUTPUT = 'probabilities';
export const HEAD_OPSET = 13;
const LABELS_KEY = 'learnloop.labels';

const floatTensor = (name: string, dims: number[], values: Float32Array) =>
  onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(),
  });

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

const node = (opType: string, input: string[], output: string, attribute: ReturnType<typeof onnx.AttributeProto.create>[] = []) =>
  onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });

/**
 * The head as an ONNX graph (opset 13): per layer a Gemm with its weights as initializers, Relu between layers,
 * Softmax over the classes; input `embedding` [batch, inputDim], output `probabilities` [batch, labels]. The label
 * order goes into metadata_props (`learnloop.labels`), with any further `metadata` the caller gives.
 */
export function headToOnnx(weights: HeadWeights, metadata: Record<string, string> = {}): Uint8Array {
  assertHeadShape(weights);
  const nodes: ReturnType<typeof node>[] = [];
  const initializer: ReturnType<typeof floatTensor>[] = [];
  let current = HEAD_INPUT;
  weights.layers.forEach((layer, i) => {
    initializer.push(
      floatTensor(`W${i}`, [layer.inputDim, layer.outputDim], layer.kernel),
      floatTensor(`B${i}`, [layer.outputDim], layer.bias),
    );
    nodes.push(node('Gemm', [current, `W${i}`, `B${i}`], `dense${i}`));
    current = `dense${i}`;
    if (i < weights.layers.length - 1) {
      nodes.push(node('Relu', [current], `relu${i}`));
      current = `relu${i}`;
    }
  });
  nodes.push(
    node('Softmax', [current], HEAD_OUTPUT, [
      onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
    ]),
  );
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: HEAD_OPSET }],
    producerName: 'learnloop',
    graph: onnx.GraphProto.create({
      name: 'learnloop_classifier_head',
      node: nodes,
      initializer,
      input: [valueInfo(HEAD_INPUT, ['batch', defined(weights.layers[0], "the head's first layer").inputDim])],
      output: [valueInfo(HEAD_OUTPUT, ['batch', weights.labels.length])],
    }),
    metadataProps: Object.entries({ ...metadata, [LABELS_KEY]: JSON.stringify(weights.labels) }).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Reads a head back from an ONNX file written by headToOnnx (to fine-tune from the production version's
 * weights). Anything else (another op, transposed Gemm, missing weights) is refused with the reason.
 */
export function headFromOnnx(bytes: Uint8Array): HeadWeights {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('ONNX file has no graph');
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const layers: DenseLayer[] = [];
  let current = HEAD_INPUT;
  let softmaxed = false;
  for (const n of graph.node ?? []) {
    if (softmaxed) throw new Error(`ONNX head has ${String(n.opType)} after its Softmax`);
    if (n.input?.[0] !== current) throw new Error(`ONNX head node ${String(n.name)} reads ${String(n.input?.[0])}, expected ${current}`);
    if (n.opType === 'Gemm') {
      if ((n.attribute ?? []).some((a) => (a.name === 'transA' || a.name === 'transB') && Number(a.i) !== 0)) {
        throw new Error(`ONNX head node ${String(n.name)}: transposed Gemm is not a head layer`);
      }
      const w = floats(initializers, n.input[1]);
      const b = floats(initializers, n.input[2]);
      const [inputDim, outputDim] = w.dims;
      if (w.dims.length !== 2 || inputDim === undefined || outputDim === undefined)
        throw new Error(`ONNX head node ${String(n.name)}: weight is not a matrix`);
      layers.push({ inputDim, outputDim, kernel: w.values, bias: b.values });
    } else if (n.opType === 'Softmax') {
      softmaxed = true;
    } else if (n.opType !== 'Relu') {
      throw new Error(`ONNX head has an unexpected ${String(n.opType)} node`);
    }
    current = n.output?.[0] ?? '';
  }
  if (!softmaxed || current !== HEAD_OUTPUT) throw new Error(`ONNX head does not end in a Softmax named ${HEAD_OUTPUT}`);
  const weights = { labels: onnxLabels(model), layers };
  assertHeadShape(weights);
  return weights;
}

function floats(
  initializers: Map<string, onnxProto.onnx.ITensorProto>,
  name: string | undefined,
): { dims: number[]; values: Float32Array } {
  const t = name === undefined ? undefined : initializers.get(name);
  if (!t) throw new Error(`ONNX head has no initializer ${String(name)}`);
  if (t.dataType !== FLOAT) throw new Error(`ONNX head initializer ${String(name)} is not float32`);
  const dims = (t.dims ?? []).map(Number);
  const raw = t.rawData;
  const values =
    raw && raw.length > 0
      ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
      : Float32Array.from(t.floatData ?? []);
  if (values.length !== dims.reduce((a, b) => a * b, 1))
    throw new Error(`ONNX head initializer ${String(name)} holds ${values.length} values for dims ${dims.join('×')}`);
  return { dims, values };
}

/** The label order stored in a head's metadata. */
export function onnxLabels(model: ModelProto | Uint8Array): string[] {
  const raw = onnxMetadata(model)[LABELS_KEY];
  if (!raw) throw new Error(`ONNX model carries no ${LABELS_KEY} metadata`);
  return JSON.parse(raw) as string[];
}

export function onnxMetadata(model: ModelProto | Uint8Array): Record<string, string> {
  const m = model instanceof Uint8Array ? onnx.ModelProto.decode(model) : model;
  return Object.fromEntries(m.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}
