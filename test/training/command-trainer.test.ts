import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { ensurePythonTool } from '../../src/platform/python-tools.js';
import { seededRandom } from '../../src/training/random.js';
import { createCommandTrainer, TRAINER_INPUT_FILE } from '../../src/training/command-trainer.js';
import { specFineTuneSettings } from '../../src/training/fine-tune.js';
import { argmax, initialHead, predictHead } from '../../src/training/head.js';
import { headToOnnx } from '../../src/training/onnx-head.js';
import { trainerRequestSchema, type TrainerProgress, type TrainerRequest } from '../../src/training/trainer.js';
import { headToJson, readHeadFile } from '../../src/training/weights-file.js';
import { clusters } from './clusters.js';
import { logLines } from './log-lines.js';

// A real user program: numpy fine-tuning under the contract (test/fixtures/training/numpy_trainer.py). Its numpy is
// installed by learnloop's Python-tool installer under LEARNLOOP_HOME (2.2.6 has wheels for CPython 3.10 to 3.13) and
// reaches the program through PYTHONPATH in the trainer's environment, as a user's own dependencies would.
const numpyTrainer = fileURLToPath(new URL('../fixtures/training/numpy_trainer.py', import.meta.url));
const numpy = { name: 'numpy', requirements: ['numpy==2.2.6'] };
let numpyPath: string;
before(async () => {
  numpyPath = (await ensurePythonTool(numpy, { home: loadConfig().home })).dir;
  const imported = execFileSync('python3', ['-c', 'import numpy; print(numpy.__file__)'], {
    env: { ...process.env, PYTHONPATH: numpyPath },
    encoding: 'utf8',
  });
  assert.ok(imported.startsWith(numpyPath), `numpy comes from the installed tool, not whatever python3 has: ${imported}`);
});
const labels = ['alpha', 'beta', 'gamma'];
const data = clusters({ classes: 3, perClass: 20, dim: 48, spread: 0.3, seed: 31 });

function makeRequest(dir: string, overrides: Partial<TrainerRequest> = {}): TrainerRequest {
  const base = initialHead({ inputDim: 48, hiddenUnits: [8], labels, rand: seededRandom(6) });
  const onnxPath = path.join(dir, 'base.onnx');
  const weightsPath = path.join(dir, 'base.json');
  writeFileSync(onnxPath, headToOnnx(base));
  writeFileSync(weightsPath, JSON.stringify(headToJson(base)));
  return trainerRequestSchema.parse({
    contract: 'learnloop.trainer/v1',
    runId: 'run-1',
    modelId: 'reference',
    base: { version: 'v1', onnxPath, weightsPath },
    examples: data.embeddings.map((e, i) => ({
      text: `requirement ${i}`,
      label: labels[data.targets[i]!],
      weight: 1 + (i % 3) / 10,
      embedding: Array.from(e),
    })),
    hyperparameters: specFineTuneSettings({ overrides: { epochs: 4, learningRate: 5e-2, warmupSteps: 2 } }),
    checkpointDir: path.join(dir, 'checkpoints'),
    outputDir: path.join(dir, 'out'),
    ...overrides,
  });
}

test("a user's numpy program trains under the JSON contract; its stderr progress becomes heartbeats", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-cmd-'));
  try {
    const request = makeRequest(dir);
    const { stream, lines } = logLines();
    const progress: TrainerProgress[] = [];
    const trainer = createCommandTrainer({ command: ['python3', numpyTrainer], env: { PYTHONPATH: numpyPath } });
    const result = await trainer.train(request, {
      onProgress: (p) => void progress.push(p),
      logger: createLogger({ destination: stream }),
    });

    assert.equal(trainer.kind, 'command');
    assert.equal(result.backend, 'numpy');
    assert.equal(result.epochsRun, 4);
    assert.equal(result.steps, 4 * Math.ceil(60 / 8));
    assert.equal(result.weightsPath, path.join(request.outputDir, 'numpy-weights.json'));
    assert.ok(result.losses.at(-1)! < result.losses[0]!, `losses ${result.losses.join(',')}`);
    assert.deepEqual(
      progress.map((p) => p.step),
      Array.from({ length: result.steps }, (_, i) => i + 1),
    );
    assert.equal(progress.at(-1)!.epoch, 3);
    assert.ok(
      lines().some((l) => l.msg === 'trainer stderr' && /numpy trainer: 60 examples/.test(String(l.line))),
      'plain stderr lines are logged',
    );
    assert.deepEqual(
      JSON.parse(readFileSync(path.join(request.outputDir, TRAINER_INPUT_FILE), 'utf8')),
      request,
      'the program got the request as written',
    );

    const weights = await readHeadFile(result.weightsPath);
    const p = await predictHead(weights, data.embeddings);
    const accuracy = p.filter((row, i) => argmax(row) === data.targets[i]).length / p.length;
    assert.ok(accuracy >= 0.95, `accuracy after numpy fine-tuning ${accuracy}`);

    // A retry of the same run gets the same checkpoint folder, and this program resumes from it.
    const again = await trainer.train(request, { onProgress: () => {}, logger: createLogger({ destination: stream }) });
    assert.equal(again.steps, result.steps);
    assert.ok(lines().some((l) => /resuming after epoch 4/.test(String(l.line))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a program's failure is reported with its exit code and stderr; a bad result line is refused", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-cmd-'));
  const logger = createLogger({ level: 'silent' });
  try {
    const request = makeRequest(dir);
    const failing = createCommandTrainer({
      command: ['python3', '-c', 'import sys; print("CUDA out of memory", file=sys.stderr); sys.exit(3)'],
    });
    await assert.rejects(failing.train(request, { onProgress: () => {}, logger }), /exited with code 3: CUDA out of memory/);
    const silent = createCommandTrainer({ command: ['python3', '-c', 'print("trained, I think")'] });
    await assert.rejects(
      silent.train(request, { onProgress: () => {}, logger }),
      /last stdout line is not the result JSON: trained, I think/,
    );
    const both = createCommandTrainer({
      command: [
        'python3',
        '-c',
        'import json; print(json.dumps({"weightsPath": "a", "onnxPath": "b", "losses": [], "epochsRun": 1, "steps": 1}))',
      ],
    });
    await assert.rejects(both.train(request, { onProgress: () => {}, logger }), /give exactly one of weightsPath and onnxPath/);
    const missing = createCommandTrainer({
      command: ['python3', '-c', 'import json; print(json.dumps({"onnxPath": "nowhere.onnx", "losses": [], "epochsRun": 1, "steps": 1}))'],
    });
    await assert.rejects(missing.train(request, { onProgress: () => {}, logger }), /nowhere.onnx, which does not exist/);
    await assert.rejects(
      createCommandTrainer({ command: ['/no/such/trainer'] }).train(request, { onProgress: () => {}, logger }),
      /ENOENT/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cancelling stops the program: by abort signal, or by a heartbeat that throws', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-cmd-'));
  const logger = createLogger({ level: 'silent' });
  try {
    const request = makeRequest(dir);
    const sleeper = createCommandTrainer({ command: ['python3', '-c', 'import time; time.sleep(60)'] });
    const started = Date.now();
    await assert.rejects(sleeper.train(request, { onProgress: () => {}, signal: AbortSignal.timeout(300), logger }), {
      name: 'TimeoutError',
    });
    assert.ok(Date.now() - started < 30_000, 'the program was killed, not waited for');

    const chatty = createCommandTrainer({
      command: [
        'python3',
        '-c',
        'import json, sys, time\nfor s in range(600):\n  print(json.dumps({"epoch": 0, "step": s}), file=sys.stderr, flush=True); time.sleep(0.1)',
      ],
    });
    let beats = 0;
    await assert.rejects(
      chatty.train(request, {
        onProgress: () => {
          if (++beats === 3) throw new Error('activity cancelled');
        },
        logger,
      }),
      /activity cancelled/,
    );
    assert.equal(beats, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
