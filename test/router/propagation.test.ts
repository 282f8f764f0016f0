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
const TOKEN = 'propagation-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let stack: ReferenceStack;
let child: ChildProcess | undefined;
let childUrl: string;

before(async () => {
  stack = await startReferenceStack({ apiToken: TOKEN });
  // The second router: a separate process started the way operators start one (`learnloop router`).
  child = spawn(process.execPath, [path.join(root, 'bin/learnloop.js'), 'router'], {
    cwd: root,
    env: {
      PATH: loadConfig().searchPath,
      DATABASE_URL: stack.db.url,
      ROUTER_PORT: '18097',
      LEARNLOOP_API_TOKEN: TOKEN,
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
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await stack.close();
});

const routesOf = async (url: string) =>
  ((await (await fetch(`${url}/v1/models/reference/routes`, { headers: auth })).json()) as { weights: Record<string, number> }).weights;

/** Polls a router's routes until they equal `expected` or a second has passed since `since`; returns what it saw last. */
async function seenWithinASecond(url: string, expected: Record<string, number>, since: number) {
  let seen: Record<string, number> = {};
  while (Date.now() - since < 1_000) {
    seen = await routesOf(url);
    if (JSON.stringify(seen) === JSON.stringify(expected)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { seen, afterMs: Date.now() - since };
}

test('a route change made through one router reaches a second router process within a second', async () => {
  assert.deepEqual(await routesOf(childUrl), { v1: 100 }, 'the second router starts from the database');
  const changed = Date.now();
  const put = await fetch(`${stack.router.url}/v1/models/reference/routes`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ weights: { v1: 80, v2: 20 } }),
  });
  assert.equal(put.status, 200);
  const { seen, afterMs } = await seenWithinASecond(childUrl, { v1: 80, v2: 20 }, changed);
  assert.deepEqual(seen, { v1: 80, v2: 20 }, `after ${afterMs} ms`);

  const served = await fetch(`${childUrl}/v1/infer`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ modelId: 'reference', input: { text: 'Add a sign-in form' }, userKey: 'u1' }),
  });
  assert.equal(served.status, 200);
});

test('a change written to the database by any other process reaches both routers within a second', async () => {
  const changed = Date.now();
  await writeWeights(stack.db.pool, 'reference', { v1: 35, v2: 65 }, 'another process');
  for (const url of [childUrl, stack.router.url]) {
    const { seen, afterMs } = await seenWithinASecond(url, { v1: 35, v2: 65 }, changed);
    assert.deepEqual(seen, { v1: 35, v2: 65 }, `${url} after ${afterMs} ms`);
  }
});
