import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { defined } from '../platform/defined.js';
import { assertHeadShape, type HeadWeights } from './head.js';
import { headFromOnnx } from './onnx-head.js';

/**
 * A head's weights as JSON: what checkpoints hold and what a `command` trainer reads and writes (numpy:
 * `np.array(layer["kernel"]).reshape(inputDim, outputDim)`). Float32 values survive the round trip exactly: JSON
 * prints the double a float32 widens to, and that double narrows back to the same float32.
 */
export const headWeightsJsonSchema = z.strictObject({
  labels: z.array(z.string()).min(1),
  layers: z
    .array(
      z.strictObject({
        inputDim: z.number().int().min(1),
        outputDim: z.number().int().min(1),
        /** Row-major [inputDim × outputDim]. */
        kernel: z.array(z.number()),
        bias: z.array(z.number()),
      }),
    )
    .min(1),
});
export type HeadWeightsJson = z.infer<typeof headWeightsJsonSchema>;

export function headToJson(weights: HeadWeights): HeadWeightsJson {
  return {
    labels: [...weights.labels],
    layers: weights.layers.map((l) => ({
      inputDim: l.inputDim,
      outputDim: l.outputDim,
      kernel: Array.from(l.kernel),
      bias: Array.from(l.bias),
    })),
  };
}

/** Validates the JSON and the layer shapes; the reason names the field. */
export function headFromJson(raw: unknown): HeadWeights {
  const parsed = headWeightsJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw new Error(`head weights: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const weights: HeadWeights = {
    labels: parsed.data.labels,
    layers: parsed.data.layers.map((l) => ({ ...l, kernel: Float32Array.from(l.kernel), bias: Float32Array.from(l.bias) })),
  };
  assertHeadShape(weights);
  return weights;
}

/** A head from an ONNX file written by headToOnnx (`.onnx`) or a weights JSON file (anything else). */
export async function readHeadFile(file: string): Promise<HeadWeights> {
  const bytes = await readFile(file);
  if (file.endsWith('.onnx')) return headFromOnnx(bytes);
  return headFromJson(JSON.parse(bytes.toString('utf8')));
}

/** Writes `value` as JSON under a temporary name and renames it, so a reader (or a crash) never sees half a file. */
export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify(value));
  await rename(partial, file);
}
