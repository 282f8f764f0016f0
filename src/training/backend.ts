import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Logger } from '../log.js';

export type TrainingBackend = 'tensorflow-gpu' | 'wasm' | 'cpu';

export interface BackendSelectionOptions {
  logger?: Logger;
  /** Folder holding tfjs-backend-wasm's .wasm files; defaults to the installed package's dist/. */
  wasmDir?: string;
}

let chosen: Promise<TrainingBackend> | undefined;

/**
 * tfjs-node-gpu when it loads (a GPU host; it is an optional peer dependency that cannot install here), else the
 * wasm backend, else plain JS. Chosen once per process (tfjs has one global backend, and the wasm files' location
 * can be set only before it starts); the name goes into the log and into training_runs.
 */
export function selectTrainingBackend(options: BackendSelectionOptions = {}): Promise<TrainingBackend> {
  chosen ??= choose(options);
  return chosen;
}

async function choose({ logger, wasmDir }: BackendSelectionOptions): Promise<TrainingBackend> {
  const skipped: Partial<Record<TrainingBackend, string>> = {};
  const gpuReason = await tryGpu();
  if (!gpuReason) return report('tensorflow-gpu', skipped, logger);
  skipped['tensorflow-gpu'] = gpuReason;
  const wasmReason = await tryWasm(wasmDir ?? defaultWasmDir());
  if (!wasmReason) return report('wasm', skipped, logger);
  skipped.wasm = wasmReason;
  logger?.warn({ reason: wasmReason }, 'wasm backend failed to initialise, training on the plain cpu backend');
  await tf.setBackend('cpu');
  return report('cpu', skipped, logger);
}

/** undefined when the backend is set, else why not. */
async function tryGpu(): Promise<string | undefined> {
  try {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const gpuPackage = '@tensorflow/tfjs-node-gpu';
    await import(gpuPackage);
    return (await tf.setBackend('tensorflow')) ? undefined : "tfjs-node-gpu loaded but its 'tensorflow' backend did not initialise";
  } catch (err) {
    return `@tensorflow/tfjs-node-gpu did not load: ${String((err as Error).message.split('\n')[0])}`;
  }
}

async function tryWasm(dir: string): Promise<string | undefined> {
  const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'].map((f) => path.join(dir, f));
  try {
    await Promise.all(files.map((f) => access(f)));
  } catch (err) {
    return `wasm binaries missing: ${(err as Error).message}`;
  }
  setWasmPaths(`${dir}${path.sep}`);
  try {
    return (await tf.setBackend('wasm')) ? undefined : `tf.setBackend('wasm') failed with the binaries in ${dir}`;
  } catch (err) {
    return `tf.setBackend('wasm') threw: ${(err as Error).message}`;
  }
}

function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

async function report(
  backend: TrainingBackend,
  skipped: Partial<Record<TrainingBackend, string>>,
  logger?: Logger,
): Promise<TrainingBackend> {
  await tf.ready();
  logger?.info({ backend, skipped }, 'training backend selected');
  return backend;
}
