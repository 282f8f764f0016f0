import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fineTune } from './fine-tune.js';
import type { Trainer } from './trainer.js';
import { headToJson, readHeadFile, writeJsonAtomically } from './weights-file.js';

export const TFJS_WEIGHTS_FILE = 'weights.json';

/**
 * Fine-tunes an embedding head in this process with TensorFlow.js (fine-tune.ts), starting from the production
 * version's ONNX artifact read back with headFromOnnx; the result goes to `<outputDir>/weights.json`.
 */
export const tfjsTrainer: Trainer = {
  kind: 'tfjs',
  async train(request, { onProgress, signal, logger }) {
    const base = await readHeadFile(request.base.onnxPath);
    const result = await fineTune({
      base,
      examples: request.examples.map((e) => ({ embedding: Float32Array.from(e.embedding), label: e.label, weight: e.weight })),
      settings: request.hyperparameters,
      checkpointDir: request.checkpointDir,
      onBatch: async (progress) => {
        signal?.throwIfAborted();
        await onProgress({ ...progress });
      },
      logger,
    });
    await mkdir(request.outputDir, { recursive: true });
    const weightsPath = path.join(request.outputDir, TFJS_WEIGHTS_FILE);
    await writeJsonAtomically(weightsPath, headToJson(result.weights));
    return {
      weightsPath,
      losses: result.losses,
      validationLosses: result.validationLosses,
      epochsRun: result.epochsRun,
      steps: result.steps,
      resumedFromEpoch: result.resumedFromEpoch,
      backend: result.backend,
    };
  },
};
