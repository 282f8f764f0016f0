import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BatchProgress } from '../../src/training/fine-tune.js';

const script = fileURLToPath(new URL('../fixtures/training/fine-tune-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

interface ChildRun {
  heartbeats: BatchProgress[];
  result?: {
    steps: number;
    scheduledSteps: number;
    epochsRun: number;
    resumedFromEpoch: number;
    losses: number[];
    weights: { layers: { kernel: number[]; bias: number[] }[] };
  };
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** Runs the training script in its own node process; `killWhen` sees each heartbeat and may SIGKILL the process. */
function runChild(args: { checkpointDir?: string; batchDelayMs: number }, killWhen?: (h: BatchProgress) => boolean): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const run: ChildRun = { heartbeats: [], signal: null, code: null };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { heartbeat?: BatchProgress; result?: ChildRun['result'] };
    if (message.heartbeat) {
      run.heartbeats.push(message.heartbeat);
      if (killWhen?.(message.heartbeat)) child.kill('SIGKILL');
    }
    if (message.result) run.result = message.result;
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    }),
  );
}

test('a training process killed mid-epoch resumes from its last checkpoint and ends like an uninterrupted run', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-resume-'));
  try {
    const uninterrupted = await runChild({ batchDelayMs: 0 });
    assert.equal(uninterrupted.code, 0);
    assert.equal(uninterrupted.result!.epochsRun, 4);

    // Killed six micro-batches (one optimizer step and a half) into the second epoch, after the first epoch's checkpoint is on disk.
    const checkpointDir = path.join(dir, 'run-1');
    const killed = await runChild(
      { checkpointDir, batchDelayMs: 25 },
      (h) => h.epoch === 1 && h.batch === 5 && existsSync(path.join(checkpointDir, 'epoch-0001.json')),
    );
    assert.equal(killed.signal, 'SIGKILL', 'the training process was killed, not finished');
    assert.equal(killed.result, undefined);
    assert.deepEqual(readdirSync(checkpointDir), ['epoch-0001.json'], 'only the first epoch was checkpointed');
    const stepsBeforeKill = killed.heartbeats.at(-1)!.step;

    const resumed = await runChild({ checkpointDir, batchDelayMs: 0 });
    assert.equal(resumed.code, 0);
    assert.equal(resumed.result!.resumedFromEpoch, 1);
    assert.equal(resumed.heartbeats[0]!.epoch, 1, 'the resumed run starts at the epoch that was interrupted');
    assert.ok(resumed.heartbeats[0]!.step < stepsBeforeKill, 'the steps of the interrupted epoch are redone from the checkpoint');
    assert.equal(resumed.result!.steps, uninterrupted.result!.steps);
    // The learning-rate schedule (warm-up, then decay to 0 at the run's last step) goes on where it was: same length,
    // same rate at every step the resumed run takes.
    assert.equal(resumed.result!.scheduledSteps, uninterrupted.result!.scheduledSteps);
    assert.equal(uninterrupted.result!.scheduledSteps, 24);
    const rateAt = (run: ChildRun, step: number) => run.heartbeats.find((h) => h.step === step)!.learningRate;
    const resumedSteps = [...new Set(resumed.heartbeats.map((h) => h.step))];
    assert.deepEqual(
      resumedSteps.map((step) => rateAt(resumed, step)),
      resumedSteps.map((step) => rateAt(uninterrupted, step)),
    );
    assert.ok(rateAt(resumed, 23) > 0 && rateAt(resumed, 23) < rateAt(resumed, 10), 'decaying after the warm-up');
    assert.equal(resumed.result!.epochsRun, uninterrupted.result!.epochsRun);
    assert.deepEqual(
      resumed.result!.losses.slice(0, 1),
      uninterrupted.result!.losses.slice(0, 1),
      'the first epoch comes from the checkpoint',
    );
    const a = uninterrupted.result!.weights.layers.flatMap((l) => [...l.kernel, ...l.bias]);
    const b = resumed.result!.weights.layers.flatMap((l) => [...l.kernel, ...l.bias]);
    assert.equal(a.length, b.length);
    const maxDiff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    assert.ok(maxDiff < 1e-6, `final weights differ by up to ${maxDiff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
