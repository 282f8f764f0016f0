import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log.js';
import { seededRandom } from '../../src/training/random.js';
import { initialHead } from '../../src/training/head.js';
import { headToOnnx } from '../../src/training/onnx-head.js';
import { tfjsTrainer } from '../../src/training/tfjs-trainer.js';
import type { TrainerProgress, TrainerRequest } from '../../src/training/trainer.js';
import { readHeadFile } from '../../src/training/weights-file.js';
import { resumeTestRun } from './resume-run.js';

const logger = createLogger({ level: 'silent' });

function request(dir: string): TrainerRequest {
  const run = resumeTestRun();
  const onnxPath = path.join(dir, 'base.onnx');
  writeFileSync(onnxPath, headToOnnx(initialHead({ inputDim: run.dim, hiddenUnits: [16], labels: run.labels, rand: seededRandom(5) })));
  return {
    contract: 'learnloop.trainer/v1',
    runId: 'run-1',
    modelId: 'm',
    base: { version: 'v1', onnxPath },
    examples: run.examples.map((e, i) => ({ text: `example ${i}`, label: e.label, weight: e.weight, embedding: Array.from(e.embedding) })),
    hyperparameters: run.settings,
    checkpointDir: path.join(dir, 'checkpoints'),
    outputDir: path.join(dir, 'out'),
  };
}

test('the tfjs trainer fine-tunes the base ONNX head and writes the weights it returns', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-tfjs-trainer-'));
  try {
    const req = request(dir);
    const progress: TrainerProgress[] = [];
    const result = await tfjsTrainer.train(req, { onProgress: (p) => void progress.push(p), logger });
    assert.equal(result.backend, 'wasm');
    assert.equal(result.steps, 24);
    assert.equal(result.epochsRun, 4);
    assert.equal(result.resumedFromEpoch, 0);
    assert.equal(progress.length, 4 * 24, 'one heartbeat per micro-batch');
    assert.equal(result.weightsPath, path.join(req.outputDir, 'weights.json'));
    const weights = await readHeadFile(result.weightsPath);
    const base = await readHeadFile(req.base.onnxPath);
    assert.notDeepEqual(weights.layers[0]!.kernel, base.layers[0]!.kernel, 'the weights were trained');
    assert.deepEqual(readdirSync(req.checkpointDir), ['epoch-0004.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aborting (activity cancellation) stops the tfjs trainer between micro-batches', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-tfjs-trainer-'));
  try {
    const controller = new AbortController();
    let beats = 0;
    await assert.rejects(
      tfjsTrainer.train(request(dir), {
        onProgress: () => {
          if (++beats === 30) controller.abort(new Error('cancelled by the workflow'));
        },
        signal: controller.signal,
        logger,
      }),
      /cancelled by the workflow/,
    );
    assert.equal(beats, 30);
    assert.deepEqual(readdirSync(path.join(dir, 'checkpoints')), ['epoch-0001.json'], 'the finished epoch stays for a later attempt');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
