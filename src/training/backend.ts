import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Logger } from '../log.js';

export type TrainingBackend = 'tensorflow-gpu' | 'wasm' | 'cpu';

let chosen: Promise<TrainingBackend> | undefined;

/**
 * tfjs-node-gpu when it loads (a GPU host; it is an optional peer dependency that cannot install here),
 * else the wasm backend, else plain JS. Chosen once per process; the name goes into logs and training_runs.
 */
export function selectTrainingBackend(logger?: Logger): Promise<TrainingBackend> {
  chosen ??= (async () => {
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const gpuPackage = '@tensorflow/tfjs-node-gpu';
      await import(gpuPackage);
      if (await tf.setBackend('tensorflow')) return report('tensorflow-gpu', logger);
    } catch (err) {
      logger?.debug({ reason: (err as Error).message }, 'tfjs-node-gpu unavailable');
    }
    try {
      const require = createRequire(import.meta.url);
      const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
      setWasmPaths(`${path.dirname(wasmFile)}${path.sep}`);
      if (await tf.setBackend('wasm')) return report('wasm', logger);
    } catch (err) {
      logger?.warn({ reason: (err as Error).message }, 'wasm backend failed to initialise, training on cpu');
    }
    await tf.setBackend('cpu');
    return report('cpu', logger);
  })();
  return chosen;
}

async function report(backend: TrainingBackend, logger?: Logger): Promise<TrainingBackend> {
  await tf.ready();
  logger?.info({ backend }, 'training backend selected');
  return backend;
}
