import { spawn } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { defined } from '../platform/defined.js';
import { trainerProgressSchema, trainerResultSchema, type Trainer, type TrainerResult } from './trainer.js';
import { writeJsonAtomically } from './weights-file.js';

export interface CommandTrainerOptions {
  /** The program and its arguments; the request file's path is appended as the last argument. */
  command: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
  /** After SIGTERM (cancellation), how long the program gets to exit before SIGKILL. */
  killGraceMs?: number;
}

export const TRAINER_INPUT_FILE = 'trainer-input.json';
const KEPT_STDERR_LINES = 20;

/**
 * Runs a user's training program under the JSON contract in command-trainer.md: the request is written to
 * `<outputDir>/trainer-input.json` and its path passed as the last argument; JSON lines on stderr with `epoch` and
 * `step` are progress (heartbeats), other stderr lines are logged; the last stdout line is the result.
 */
export function createCommandTrainer(options: CommandTrainerOptions): Trainer {
  const [program, ...args] = options.command;
  if (!program) throw new Error('the command trainer needs a command to run');
  return {
    kind: 'command',
    async train(request, { onProgress, signal, logger }) {
      signal?.throwIfAborted();
      await mkdir(request.outputDir, { recursive: true });
      await mkdir(request.checkpointDir, { recursive: true });
      const inputPath = path.join(request.outputDir, TRAINER_INPUT_FILE);
      await writeJsonAtomically(inputPath, request);

      const child = spawn(program, [...args, inputPath], {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const log = logger.child({ trainer: 'command', pid: child.pid });
      const stop = () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 5_000).unref();
      };
      let lastStdoutLine = '';
      const stderrTail: string[] = [];
      // Boxed, so that what onProgress rejected with is rethrown as it is, whatever it is.
      let progressFailure: { error: unknown } | undefined;
      let progress = Promise.resolve();
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.trim()) lastStdoutLine = line;
      });
      createInterface({ input: child.stderr }).on('line', (line) => {
        const report = parseProgress(line);
        if (report) {
          progress = progress
            .then(() => onProgress(report))
            .catch((err: unknown) => {
              progressFailure ??= { error: err };
              stop();
            });
          return;
        }
        stderrTail.push(line);
        if (stderrTail.length > KEPT_STDERR_LINES) stderrTail.shift();
        log.info({ line }, 'trainer stderr');
      });
      signal?.addEventListener('abort', stop, { once: true });
      try {
        const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
          child.once('error', reject);
          child.once('close', (code, exitSignal) => {
            resolve({ code, signal: exitSignal });
          });
        });
        await progress;
        if (progressFailure !== undefined) throw progressFailure.error;
        signal?.throwIfAborted();
        if (exit.code !== 0) {
          throw new Error(
            `trainer command ${program} ${exit.code === null ? `was killed by ${String(exit.signal)}` : `exited with code ${exit.code}`}: ${stderrTail.join('\n') || '(no stderr)'}`,
          );
        }
        return await readResult(lastStdoutLine, request.outputDir);
      } finally {
        signal?.removeEventListener('abort', stop);
      }
    },
  };
}

function parseProgress(line: string) {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = trainerProgressSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function readResult(line: string, outputDir: string): Promise<TrainerResult> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error(`the trainer's last stdout line is not the result JSON: ${line.slice(0, 200) || '(no output)'}`);
  }
  const parsed = trainerResultSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw new Error(`the trainer's result: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const result = parsed.data;
  const resolve = (p: string | undefined) => (p === undefined ? undefined : path.resolve(outputDir, p));
  const weightsPath = resolve(result.weightsPath);
  const onnxPath = resolve(result.onnxPath);
  const file = defined(weightsPath ?? onnxPath, "the trainer's result's weightsPath or onnxPath");
  await access(file).catch(() => {
    throw new Error(`the trainer's result names ${file}, which does not exist`);
  });
  return { ...result, weightsPath, onnxPath, backend: result.backend ?? 'command' };
}
