import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { writeWeights } from '../../src/db/routing-weights.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';
import { waitFor } from '../../bench/support/wait-for.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'propagation-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let stack: ReferenceStack;
let child: ChildProcess | undefined;
let childUrl: string;

/** The resync safety net, pushed out of reach: a change these tests see can only have come by NOTIFY. */
const NO_RESYNC_MS = 3_600_000;
/** Generous: the machine these run on may be busy; README's "within a second" is the typical case, not a test bound. */
const DEADLINE_MS = 30_000;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** Starts `learnloop router` on a free port; a port taken between the probe and the bind is retried on another. */
async function startSecondRouter(): Promise<{ child: ChildProcess; url: string }> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const proc = spawn(process.execPath, [path.join(root, 'bin/learnloop.js'), 'router'], {
      cwd: root,
      env: {
        PATH: loadConfig().searchPath,
        DATABASE_URL: stack.db.url,
        ROUTER_PORT: String(await freePort()),
        ROUTER_WEIGHTS_RESYNC_MS: String(NO_RESYNC_MS),
        LEARNLOOP_API_TOKEN: TOKEN,
        LEARNLOOP_HOME: loadConfig().home,
        LEARNLOOP_ARTIFACT_DIR: path.join(stack.home, 'artifacts'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      process.stderr.write(d);
    });
    const deadline = Date.now() + 60_000;
    while (!/Router\s+(\S+)/.test(out) && proc.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const started = /Router\s+(\S+)/.exec(out);
    if (started) return { child: proc, url: started[1]! };
    if (proc.exitCode === null) proc.kill('SIGKILL');
    last = out;
    if (!/already in use/.test(out)) break;
  }
  throw new Error(`second router did not start: ${last}`);
}

before(async () => {
  stack = await startReferenceStack({ apiToken: TOKEN, weightsResyncMs: NO_RESYNC_MS });
  // The second router: a separate process started the way operators start one (`learnloop router`).
  ({ child, url: childUrl } = await startSecondRouter());
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

/** Polls a router's routes until they equal `expected`, up to DEADLINE_MS; returns what it saw last and when. */
async function seen(url: string, expected: Record<string, number>, since: number) {
  let last: Record<string, number> = {};
  await waitFor(
    `${url} to route ${JSON.stringify(expected)}`,
    async () => {
      last = await routesOf(url);
      return JSON.stringify(last) === JSON.stringify(expected);
    },
    DEADLINE_MS,
  ).catch(() => undefined);
  return { seen: last, afterMs: Date.now() - since };
}

test('a route change made through one router reaches a second router process by NOTIFY', async (t) => {
  assert.deepEqual(await routesOf(childUrl), { v1: 100 }, 'the second router starts from the database');
  const changed = Date.now();
  const put = await fetch(`${stack.router.url}/v1/models/reference/routes`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ weights: { v1: 80, v2: 20 } }),
  });
  assert.equal(put.status, 200);
  const { seen: routes, afterMs } = await seen(childUrl, { v1: 80, v2: 20 }, changed);
  assert.deepEqual(routes, { v1: 80, v2: 20 }, `after ${afterMs} ms`);
  t.diagnostic(`second router saw the change after ${afterMs} ms`);

  const served = await fetch(`${childUrl}/v1/infer`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ modelId: 'reference', input: { text: 'Add a sign-in form' }, userKey: 'u1' }),
  });
  assert.equal(served.status, 200);
});

test('a change written to the database by any other process reaches both routers by NOTIFY', async (t) => {
  const changed = Date.now();
  await writeWeights(stack.db.pool, 'reference', { v1: 35, v2: 65 }, 'another process');
  for (const url of [childUrl, stack.router.url]) {
    const { seen: routes, afterMs } = await seen(url, { v1: 35, v2: 65 }, changed);
    assert.deepEqual(routes, { v1: 35, v2: 65 }, `${url} after ${afterMs} ms`);
    t.diagnostic(`${url} saw the change after ${afterMs} ms`);
  }
});
