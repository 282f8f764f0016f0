import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonTool, type PythonTool } from '../../src/platform/python-tools.js';

const execFileAsync = promisify(execFile);

/**
 * Schemathesis from PyPI, installed the way learnloop installs every Python tool (src/platform/python-tools.ts): its
 * own pinned `pip --target` under `$LEARNLOOP_HOME/python/schemathesis`, once for every process. Every package of
 * its closure is pinned, so a run today and a run next year fuzz with the same code.
 */
export const schemathesisTool: PythonTool = {
  name: 'schemathesis',
  requirements: [
    'schemathesis==4.32.5',
    'anyio==4.16.0',
    'certifi==2026.10.19.post1',
    'charset-normalizer==3.5.3',
    'click==8.5.1',
    'graphql-core==3.3.2',
    'harfile==0.6.0',
    'hypothesis==6.170.17',
    'hypothesis-graphql==0.13.5',
    'idna==3.20',
    'iniconfig==2.3.1',
    'jsonschema-rs==0.60.3',
    'markdown-it-py==4.3.0',
    'markupsafe==3.0.4',
    'mdurl==0.1.2',
    'packaging==26.4',
    'pluggy==1.7.0',
    'pygments==2.21.0',
    'pyrate-limiter==4.5.1',
    'pytest==9.2.0',
    'pyyaml==6.0.4',
    'requests==2.34.2',
    'rich==15.0.0',
    'sortedcontainers==2.4.0',
    'typing-extensions==4.16.0',
    'urllib3==2.8.0',
    'werkzeug==3.1.9',
  ],
};

export interface SchemathesisRun {
  exitCode: number;
  output: string;
}

/**
 * Runs `schemathesis [--config-file <configFile>] run <args>` from the pinned install (installing it first if
 * needed); resolves with its exit code and output whatever it found.
 */
export async function runSchemathesis(
  home: string,
  args: readonly string[],
  options: { configFile?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<SchemathesisRun> {
  const { dir } = await ensurePythonTool(schemathesisTool, { home });
  const config = options.configFile ? ['--config-file', options.configFile] : [];
  try {
    const { stdout, stderr } = await execFileAsync('python3', ['-m', 'schemathesis.cli', ...config, 'run', ...args], {
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 10 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        PYTHONPATH: [dir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
        PYTHONDONTWRITEBYTECODE: '1',
        NO_COLOR: '1',
        COLUMNS: '160',
      },
    });
    return { exitCode: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    if (typeof e.code !== 'number') throw err;
    return { exitCode: e.code, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}
