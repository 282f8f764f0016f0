import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createLogger } from '../../src/log.js';
import { selectTrainingBackend } from '../../src/training/backend.js';
import { logLines } from './log-lines.js';

// Its own file: tfjs keeps one backend per process, so the fallback can only be seen in a fresh one.
test('without its wasm binaries, training falls back to the cpu backend and logs why', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'learnloop-nowasm-'));
  try {
    const { stream, lines } = logLines();
    const backend = await selectTrainingBackend({ logger: createLogger({ destination: stream }), wasmDir: empty });
    assert.equal(backend, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    const warning = lines().find((l) => l.level === 40);
    assert.match(String(warning?.reason), /wasm binaries missing/);
    assert.equal(lines().find((l) => l.msg === 'training backend selected')?.backend, 'cpu');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
