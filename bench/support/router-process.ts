import { defined } from '../../src/platform/defined.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { countStoredRows } from '../../src/db/inference-requests.js';
import type { Pool } from '../../src/db/pool.js';

const serveScript = fileURLToPath(new URL('./router-child.ts', import.meta.url));

export interface RouterProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL, synchronously: nothing the router holds in memory survives it. */
  kill(): void;
  exited: Promise<unknown>;
}

/** A router (model `m`, versionEchoPredictor) in a child process over `databaseUrl`; see router-child.ts. */
export async function spawnRouterProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', serveScript], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the router process did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const { url } = JSON.parse(defined(out.split('\n')[0], 'first output line')) as { url: string };
  return { url, child, exited, kill: () => void child.kill('SIGKILL') };
}

export interface CrashRun {
  /** Feedback posts answered 202 before the kill. */
  acknowledged: string[];
  /** Of those, rows in the feedback table after the kill. */
  stored: number;
  /** Feedback posts that got no answer or an error (the kill cut them). */
  unanswered: number;
  /** Every 202's latency, in ms. */
  latenciesMs: number[];
  /** Inferences answered 200, and of those how many rows are in inference_requests after the kill. */
  inferences: number;
  inferencesStored: number;
}

/**
 * The crash the issue describes: `posts` inferences, then one feedback post for each from `clients` concurrent
 * clients, and the router SIGKILLed the moment the `killAfterAcks`-th 202 arrives (default: the last).
 */
export async function feedbackCrashRun(
  pool: Pool,
  router: RouterProcess,
  opts: { posts: number; clients: number; killAfterAcks?: number },
): Promise<CrashRun> {
  const json = { 'content-type': 'application/json' };
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (next < opts.posts) {
        next++;
        const res = await fetch(`${router.url}/v1/infer`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ modelId: 'm', input: { text: 'Ship it' } }),
        });
        if (res.status !== 200) throw new Error(`inference answered ${res.status}: ${await res.text()}`);
        ids.push(((await res.json()) as { requestId: string }).requestId);
      }
    }),
  );
  const killAt = opts.killAfterAcks ?? opts.posts;
  const acknowledged: string[] = [];
  const latenciesMs: number[] = [];
  let unanswered = 0;
  // Set by whichever client sees the killAt-th acknowledgement; `as boolean` keeps TypeScript from fixing it at `false`.
  let killed = false as boolean;
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      for (let id = queue.shift(); id !== undefined && !killed; id = queue.shift()) {
        const started = performance.now();
        try {
          const res = await fetch(`${router.url}/v1/feedback`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ requestId: id, testPassRate: 1, implementationVariance: 0 }),
          });
          if (res.status !== 202) {
            unanswered++;
            continue;
          }
          latenciesMs.push(performance.now() - started);
          acknowledged.push(id);
          if (acknowledged.length === killAt) {
            killed = true;
            router.kill();
          }
          await res.arrayBuffer();
        } catch {
          unanswered++;
        }
      }
    }),
  );
  if (!killed) router.kill();
  await router.exited;
  const count = (table: 'inference_requests' | 'feedback', of: string[]) => countStoredRows(pool, table, of);
  return {
    acknowledged,
    latenciesMs,
    unanswered,
    stored: await count('feedback', acknowledged),
    inferences: ids.length,
    inferencesStored: await count('inference_requests', ids),
  };
}
