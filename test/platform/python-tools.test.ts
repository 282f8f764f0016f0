import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensurePythonTool,
  installedPythonTool,
  pythonToolDir,
  pythonToolsRoot,
  PythonToolError,
  type EnsuredPythonTool,
  type PythonTool,
} from '../../src/platform/python-tools.js';

// A tiny pure-Python package stands in for the Temporal binaries: the installer does not care what it installs.
const six = (version: string): PythonTool => ({ name: 'six', requirements: [`six==${version}`] });
const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('../fixtures/platform/ensure-python-tool.ts', import.meta.url));

function importedVersion(dir: string): string {
  return execFileSync('python3', ['-c', 'import six; print(six.__version__)'], {
    env: { ...process.env, PYTHONPATH: dir },
    encoding: 'utf8',
  }).trim();
}

/** What is left in $LEARNLOOP_HOME/python besides the installed tools: scratch folders, locks. */
function leftovers(home: string): string[] {
  return readdirSync(pythonToolsRoot(home)).filter((entry) => entry.startsWith('.') || entry.endsWith('.lock'));
}

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await mkdtemp(path.join(tmpdir(), 'learnloop-python-tools-'));
  try {
    await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

test('three processes asking for the same tool at once install it once, and each gets the finished install', () =>
  withHome(async (home) => {
    const startFile = path.join(home, 'go');
    const tool = six('1.16.0');
    const runs = Array.from({ length: 3 }, () => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify({ home, tool, startFile })], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      const ready = new Promise<void>((resolve) =>
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready')) resolve();
        }),
      );
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
        proc.on('close', (code) => {
          resolve({ code, out, err });
        }),
      );
      return { ready, done };
    });
    await Promise.all(runs.map((r) => r.ready));
    writeFileSync(startFile, '');
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.err);
    const answers = results.map((r) => JSON.parse(r.out.trim().split('\n').at(-1)!) as EnsuredPythonTool);
    assert.deepEqual(answers.map((a) => a.installed).sort(), [false, false, true], 'exactly one process ran pip');
    assert.deepEqual(new Set(answers.map((a) => a.dir)), new Set([pythonToolDir(home, tool)]));
    const installLines = results
      .flatMap((r) => r.err.split('\n'))
      .filter((l) => l.startsWith('learnloop: installed six==1.16.0 from PyPI into '));
    assert.equal(installLines.length, 1, 'the install says once what it installed and how long it took');
    assert.match(installLines[0]!, / in \d+\.\d s$/);
    assert.equal(importedVersion(pythonToolDir(home, tool)), '1.16.0');
    assert.deepEqual(leftovers(home), [], 'no lock or scratch folder is left behind');
  }));

test('a changed pin reinstalls the tool; the same pin does not', () =>
  withHome(async (home) => {
    const first = await ensurePythonTool(six('1.16.0'), { home });
    assert.equal(first.installed, true);
    assert.equal((await ensurePythonTool(six('1.16.0'), { home })).installed, false);
    assert.equal(installedPythonTool(home, six('1.17.0')), undefined, 'an install with other pins is not this tool');

    const second = await ensurePythonTool(six('1.17.0'), { home });
    assert.deepEqual(second, { dir: first.dir, installed: true });
    assert.equal(importedVersion(second.dir), '1.17.0');
    assert.equal(installedPythonTool(home, six('1.17.0')), second.dir);
    assert.deepEqual(leftovers(home), []);
  }));

test('a lock left by a process that died does not stop the next install', () =>
  withHome(async (home) => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const lock = `${pythonToolDir(home, six('1.16.0'))}.lock`;
    mkdirSync(lock, { recursive: true });
    writeFileSync(path.join(lock, 'owner.json'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), token: 'dead' }));
    const { installed } = await ensurePythonTool(six('1.16.0'), { home, lockTimeoutMs: 60_000 });
    assert.equal(installed, true);
    assert.deepEqual(leftovers(home), []);
  }));

test('no python3, python3 without pip, and a failing pip install each give one line naming what to do', () =>
  withHome(async (home) => {
    const oneLine = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof PythonToolError, String(err));
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, pattern);
      return true;
    };
    await assert.rejects(
      ensurePythonTool(six('1.16.0'), { home, python: path.join(home, 'no-such-python3') }),
      oneLine(
        /no-such-python3 not found: learnloop installs .* from PyPI with pip; install Python 3 with pip \(Debian: apt-get install python3 python3-pip\)$/,
      ),
    );

    // An interpreter that cannot import pip: python3 without its site-packages.
    const noPip = path.join(home, 'python3-without-pip');
    await writeFile(noPip, '#!/bin/sh\nexec python3 -S -I "$@"\n');
    await chmod(noPip, 0o755);
    await assert.rejects(
      ensurePythonTool(six('1.16.0'), { home, python: noPip }),
      oneLine(/^pip not found for .*No module named pip.*apt-get install python3-pip/),
    );

    await assert.rejects(
      ensurePythonTool({ name: 'nothing', requirements: ['learnloop-no-such-package-anywhere==0.0.1'] }, { home }),
      oneLine(
        /^pip could not install learnloop-no-such-package-anywhere==0\.0\.1: ERROR: No matching distribution found for learnloop-no-such-package-anywhere==0\.0\.1$/,
      ),
    );
    assert.equal(existsSync(pythonToolDir(home, { name: 'nothing', requirements: [] })), false, 'a failed install leaves no tool behind');
    assert.deepEqual(leftovers(home), []);
  }));
