import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command from the project's root with exactly `env` (no inherited variables unless passed) and collects its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  timeoutMs = 240_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: projectRoot, env, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** The real `learnloop` CLI (bin/learnloop.js) in a child process. */
export function runLearnloop(args: readonly string[], env: Record<string, string | undefined>, timeoutMs?: number): Promise<CommandResult> {
  return runCommand(process.execPath, [path.join(projectRoot, 'bin/learnloop.js'), ...args], env, timeoutMs);
}
