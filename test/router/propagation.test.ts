import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { writeWeights } from '../../src/db/routing-weights.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let stack: ReferenceStack;
let child: ChildProcess;
let childUrl: string;

before(async () => {
  stack = await startReferenceStack();
  child = spawn(process.execPath, [path.join(root, 'bin/learnloop.js'), 'router'], {
    cwd: root,
    env: {
      PATH: loadConfig().searchPath,
      DATABASE_URL: stack.db.url,
      ROUTER_PORT: '18097',
      LEARNLOOP_HOME: loadConfig().home,
      LEARNLOOP_ARTIFACT_DIR: path.join(stack.home, 'artifacts'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Router\s+(\S+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`second router did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  childUrl = /Router\s+(\S+)/.exec(out)![1]!;
});

after(async () => {
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
  await stack.close();
});

const routesOf = async (url: string) =>
  ((await (await fetch(`${url}/v1/models/reference/routes`)).json()) as { weights: Record<string, number> }).weights;

test('a weight change written by one process reaches a second router process within a second', async () => {
  assert.deepEqual(await routesOf(childUrl), { v1: 100 }, 'the second router starts from the database');
  const written = Date.now();
  await writeWeights(stack.db.pool, 'reference', { v1: 80, v2: 20 }, 'test');
  let seen: Record<string, number> = {};
  while (Date.now() - written < 1_000) {
    seen = await routesOf(childUrl);
    if (seen.v2 === 20) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(seen, { v1: 80, v2: 20 }, `after ${Date.now() - written} ms`);
  const served = (await (
    await fetch(`${childUrl}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelId: 'reference', input: { text: 'Add a sign-in form' }, userKey: 'u1' }),
    })
  ).json()) as { version: string };
  assert.ok(['v1', 'v2'].includes(served.version));
});
