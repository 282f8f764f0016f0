/**
 * Router overhead: the reference model served (a) by a bare fastify handler that embeds the text and runs the ONNX
 * head with onnxruntime, and (b) through the learnloop router (routing, validation, request rows batched into
 * PostgreSQL, Prometheus metrics, one pino info line per request written to a file the way pino writes stdout by
 * default, synchronously), at the same concurrency over loopback, in one run. Each server runs in a process of its
 * own (bench/support/router-bench-server.ts) and the load generator in this one.
 *
 * The machine is shared and its load drifts, so a and b run in many short rounds in ABBA order, and the same
 * comparison made between the bare server's own even and odd rounds is printed as `noiseFloor`: a difference
 * smaller than that is not resolved by this run. Latencies are every response's own time (autocannon's histogram
 * only resolves whole milliseconds).
 *
 * CPU per request is measured in each server's own process: `process.cpuUsage()` (user + system, all its threads)
 * read over IPC before and after each round, divided by the requests it answered in the round. It is the server
 * process's CPU only: the PostgreSQL backends that insert the router's rows are other processes and not counted.
 * A second pair answers with a constant instead of the model, which isolates what the router itself costs.
 *
 * The default concurrency is 1: one request at a time, so latency is the model's plus what the router adds, not
 * time spent queueing behind other requests (with the model on the CPU, 8 connections put p99 at tens of ms of
 * queueing, and a 1 ms question drowns in it). `--connections 8` runs the saturated case. Last line: JSON.
 *
 *   npx tsx bench/router.ts [--connections 1] [--seconds 2] [--rounds 12] [--constant-rounds 4]
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { quantileSorted } from 'simple-statistics';
import { loadConfig } from '../src/config.js';
import { insertModelVersion } from '../src/db/model-versions.js';
import { withTransaction } from '../src/db/pool.js';
import { writeWeights } from '../src/db/routing-weights.js';
import { SentenceEmbedder } from '../src/models/embedder.js';
import { embeddingModelDir } from '../src/models/fetch-model.js';
import { ModelRegistry } from '../src/models/registry.js';
import { ensureReferenceModel, REFERENCE_MODEL_ID } from '../src/reference/register.js';
import { throwawayDatabase } from './support/database.js';
import type { BenchServerKind, FromChild, ToChild } from './support/router-bench-server.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '12' },
    'constant-rounds': { type: 'string', default: '4' },
  },
});
const CONNECTIONS = Number(args.connections);
const SECONDS = Number(args.seconds);
const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
const ROUNDS = even(Number(args.rounds));
const CONSTANT_ROUNDS = even(Number(args['constant-rounds']));
const TEXT = 'Expose CRUD endpoints for the invoice resource';

/** A server in its own process. */
class BenchServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(kind: BenchServerKind, databaseUrl: string, home: string): Promise<BenchServer> {
    const child = fork(fileURLToPath(new URL('./support/router-bench-server.ts', import.meta.url)), [kind, databaseUrl, home], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (m: FromChild) => {
        if (m.type === 'ready') resolve(m.url);
        else reject(new Error(`${kind}: unexpected ${m.type}`));
      });
      child.once('exit', (code) => {
        reject(new Error(`${kind} server exited with ${String(code)} before it was ready`));
      });
    });
    return new BenchServer(child, url);
  }

  /** The process's user + system CPU so far, in microseconds. */
  cpuMicros(): Promise<number> {
    return new Promise((resolve) => {
      this.child.once('message', (m: FromChild) => {
        resolve(m.type === 'cpu' ? m.micros : Number.NaN);
      });
      this.child.send({ type: 'cpu' } satisfies ToChild);
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'close' } satisfies ToChild);
    await exited;
  }
}

interface Target {
  server: BenchServer;
  modelId: string;
}
interface Sample {
  requests: number;
  seconds: number;
  latencies: number[];
  /** The serving process's CPU over the round. */
  cpuMicros: number;
}

async function round(target: Target, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  const cpuBefore = await target.server.cpuMicros();
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.server.url,
        connections: CONNECTIONS,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modelId: target.modelId, input: { text: TEXT } }),
      },
      (err, res) => {
        if (err) reject(err as Error);
        else resolve(res);
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
  const elapsed = (performance.now() - started) / 1000;
  const cpuMicros = (await target.server.cpuMicros()) - cpuBefore;
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${target.server.url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { requests: latencies.length, seconds: elapsed, latencies, cpuMicros };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function summarize(samples: Sample[]) {
  const all = samples.flatMap((s) => s.latencies).sort((x, y) => x - y);
  const requests = samples.reduce((n, s) => n + s.requests, 0);
  const rps = requests / samples.reduce((t, s) => t + s.seconds, 0);
  const cpuUsPerRequest = samples.reduce((t, s) => t + s.cpuMicros, 0) / requests;
  return {
    rps: Math.round(rps * 100) / 100,
    p50Ms: r3(quantileSorted(all, 0.5)),
    p99Ms: r3(quantileSorted(all, 0.99)),
    requests: all.length,
    cpuUsPerRequest: Math.round(cpuUsPerRequest),
  };
}

function difference(a: ReturnType<typeof summarize>, b: ReturnType<typeof summarize>) {
  return {
    throughputRatio: r3(b.rps / a.rps),
    addedP50Ms: r3(b.p50Ms - a.p50Ms),
    addedP99Ms: r3(b.p99Ms - a.p99Ms),
    addedCpuUsPerRequest: b.cpuUsPerRequest - a.cpuUsPerRequest,
  };
}

/** ABBA order over `rounds` rounds, so a steady drift in the machine's load falls on a and b alike. */
async function compare(a: Target, b: Target, rounds: number) {
  await round(a, 1);
  await round(b, 1);
  const sa: Sample[] = [];
  const sb: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    const order =
      i % 4 === 0 || i % 4 === 3
        ? ([
            [a, sa],
            [b, sb],
          ] as const)
        : ([
            [b, sb],
            [a, sa],
          ] as const);
    for (const [target, into] of order) into.push(await round(target, SECONDS));
  }
  const bare = summarize(sa);
  const router = summarize(sb);
  return {
    bare,
    router,
    ...difference(bare, router),
    noiseFloor: difference(summarize(sa.filter((_, i) => i % 2 === 0)), summarize(sa.filter((_, i) => i % 2 === 1))),
  };
}

/** Each server's CPU while nobody sends it anything (timers, the router's resync and flushes), per second. */
async function idleCpu(server: BenchServer, seconds: number): Promise<number> {
  const before = await server.cpuMicros();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return Math.round(((await server.cpuMicros()) - before) / seconds);
}

const db = await throwawayDatabase();
const home = mkdtempSync(path.join(tmpdir(), 'learnloop-bench-'));
{
  const embedder = await SentenceEmbedder.load(embeddingModelDir(loadConfig().home));
  const registry = new ModelRegistry(db.pool, path.join(home, 'artifacts'));
  await ensureReferenceModel({ registry, pool: db.pool, embedder, home });
  await embedder.close();
}
// A model that is never loaded, for the pair without inference.
await withTransaction(db.pool, (c) =>
  insertModelVersion(c, { modelId: 'constant', version: 'v1', artifactUri: 'none://', sha256: '0'.repeat(64), metrics: {}, metadata: {} }),
);
await writeWeights(db.pool, 'constant', { v1: 100 }, 'bench');

const bare = await BenchServer.start('bare', db.url, home);
const router = await BenchServer.start('router', db.url, home);

const withModel = await compare({ server: bare, modelId: REFERENCE_MODEL_ID }, { server: router, modelId: REFERENCE_MODEL_ID }, ROUNDS);
const withoutModel = await compare({ server: bare, modelId: 'constant' }, { server: router, modelId: 'constant' }, CONSTANT_ROUNDS);
// Measured last, when both have served (the router warms its models and routes in the background at start), after
// 2 s for the last rows to be written and the heap to settle.
await new Promise((resolve) => setTimeout(resolve, 2000));
const idleCpuUsPerSecond = { bare: await idleCpu(bare, 3), router: await idleCpu(router, 3) };

await router.close();
await bare.close();
await db.drop();
rmSync(home, { recursive: true, force: true });

console.log(
  JSON.stringify({
    connections: CONNECTIONS,
    secondsPerRound: SECONDS,
    rounds: ROUNDS,
    bare: withModel.bare,
    router: withModel.router,
    throughputRatio: withModel.throughputRatio,
    addedP50Ms: withModel.addedP50Ms,
    addedP99Ms: withModel.addedP99Ms,
    addedCpuUsPerRequest: withModel.addedCpuUsPerRequest,
    noiseFloor: withModel.noiseFloor,
    idleCpuUsPerSecond,
    withoutModel: {
      rounds: CONSTANT_ROUNDS,
      bare: withoutModel.bare,
      router: withoutModel.router,
      // CPU the router's process spends per request beyond the bare server's (routing, validation, the log line,
      // metrics, batching rows; not PostgreSQL's own work on the inserts), measured in each process.
      addedCpuUsPerRequest: withoutModel.addedCpuUsPerRequest,
      addedP50Ms: withoutModel.addedP50Ms,
      addedP99Ms: withoutModel.addedP99Ms,
      noiseFloor: withoutModel.noiseFloor,
    },
  }),
);
