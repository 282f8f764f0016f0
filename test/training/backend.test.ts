import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createLogger } from '../../src/log.js';
import { selectTrainingBackend } from '../../src/training/backend.js';
import { logLines } from './log-lines.js';

test('training runs on the wasm backend here, after reporting why the GPU backend was skipped', async () => {
  const { stream, lines } = logLines();
  const backend = await selectTrainingBackend({ logger: createLogger({ destination: stream }) });
  assert.equal(backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  const chosen = lines().find((l) => l.msg === 'training backend selected');
  assert.equal(chosen?.backend, 'wasm');
  assert.match(String((chosen.skipped as Record<string, string>)['tensorflow-gpu']), /tfjs-node-gpu did not load/);
  assert.equal(await selectTrainingBackend(), 'wasm', 'the choice is made once per process');
});
