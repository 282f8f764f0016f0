/**
 * What acknowledging feedback on commit costs, and what acknowledging on enqueue loses. A router in a child process
 * (model `m` answered by a constant, so the model's time plays no part) takes `--posts` inferences and then one
 * feedback post for each from `--clients` concurrent clients, and is SIGKILLed the moment the last 202 arrives.
 * Each round does this once per mode, in an order that rotates because the machine's load drifts:
 *   - `commit`: the router's behaviour: feedback answered once committed, group commit with the batch, which a
 *     waiting feedback row has written within ROUTER_FEEDBACK_FLUSH_MS (default 10 ms);
 *   - `commit-interval`: the same with the window set to the flush interval (ROUTER_FEEDBACK_FLUSH_MS =
 *     ROUTER_FLUSH_INTERVAL_MS): feedback waits for the next regular batch;
 *   - `enqueue`: answered once buffered (the old behaviour, kept as a writer option only for this).
 *
 * Prints per mode and client count: feedback latency p50/p90/p99 (every 202's own time, over loopback), and
 * feedback acknowledged vs stored after the kill, and inferences answered vs stored (inference rows stay
 * asynchronous: a crash costs up to one flush interval of them). Last line: JSON.
 *
 *   npx tsx bench/feedback-durability.ts [--posts 300] [--clients 1,16] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { quantileSorted } from 'simple-statistics';
import { loadConfig } from '../src/config.js';
import { writeWeights } from '../src/db/routing-weights.js';
import { throwawayDatabase } from './support/database.js';
import { feedbackCrashRun, spawnRouterProcess, type CrashRun } from './support/router-process.js';
import { catalogueVersions } from './support/echo-model.js';

const { values: args } = parseArgs({
  options: {
    posts: { type: 'string', default: '300' },
    clients: { type: 'string', default: '1,16' },
    rounds: { type: 'string', default: '3' },
  },
});
const POSTS = Number(args.posts);
const CLIENTS = args.clients.split(',').map(Number);
const ROUNDS = Math.max(1, Number(args.rounds));
const { flushIntervalMs, batchRows, feedbackFlushMs } = loadConfig().router;
const MODES: Record<string, Record<string, string>> = {
  commit: { FEEDBACK_ACK: 'commit' },
  'commit-interval': { FEEDBACK_ACK: 'commit', ROUTER_FEEDBACK_FLUSH_MS: String(flushIntervalMs) },
  enqueue: { FEEDBACK_ACK: 'enqueue' },
};
const modes = Object.keys(MODES);

const db = await throwawayDatabase();
await catalogueVersions(db.pool, 'm', ['v1']);
await writeWeights(db.pool, 'm', { v1: 100 }, 'bench');

const runs = new Map<string, CrashRun[]>();
try {
  for (const clients of CLIENTS) {
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)];
      for (const mode of order) {
        const router = await spawnRouterProcess(db.url, MODES[mode]);
        const run = await feedbackCrashRun(db.pool, router, { posts: POSTS, clients });
        const key = `${mode}/${clients}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
        process.stderr.write(`${key} round ${round + 1}: ${run.acknowledged.length} acknowledged, ${run.stored} stored\n`);
      }
    }
  }
} finally {
  await db.drop();
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const results = [...runs].map(([key, of]) => {
  const [mode, clients] = key.split('/');
  const latencies = of.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const acknowledged = of.reduce((n, r) => n + r.acknowledged.length, 0);
  const stored = of.reduce((n, r) => n + r.stored, 0);
  return {
    mode,
    clients: Number(clients),
    p50Ms: r2(quantileSorted(latencies, 0.5)),
    p90Ms: r2(quantileSorted(latencies, 0.9)),
    p99Ms: r2(quantileSorted(latencies, 0.99)),
    feedbackAcknowledged: acknowledged,
    feedbackStored: stored,
    feedbackLost: acknowledged - stored,
    inferencesAnswered: of.reduce((n, r) => n + r.inferences, 0),
    inferencesStored: of.reduce((n, r) => n + r.inferencesStored, 0),
    crashes: of.length,
  };
});
console.log(JSON.stringify({ posts: POSTS, rounds: ROUNDS, flushIntervalMs, feedbackFlushMs, batchRows, results }));
