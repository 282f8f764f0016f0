/**
 * Router overhead: the reference model served (a) by a bare fastify handler that embeds the text and runs the ONNX
 * head with onnxruntime, and (b) through the learnloop router (routing, validation, request rows batched into
 * PostgreSQL, Prometheus metrics, one pino info line per request written to a file the way pino writes stdout by
 * default, synchronously), at the same concurrency over loopback, in one run.
 *
 * The machine is shared and its load drifts, so a and b run in many short rounds in ABBA order, and the same
 * comparison made between the bare server's own even and odd rounds is printed as `noiseFloor`: a difference
 * smaller than that is not resolved by this run. Latencies are every response's own time (autocannon's histogram
 * only resolves whole milliseconds). A second pair answers with a constant instead of the model, to show the
 * router's own CPU cost per request.
 *
 * The default concurrency is 1: one request at a time, so latency is the model's plus what the router adds, not
 * time spent queueing behind other requests (with the model on the CPU, 8 connections put p99 at tens of ms of
 * queueing, and a 1 ms question drowns in it). `--connections 8` runs the saturated case. Last line: JSON.
 *
 *   npx tsx bench/router.ts [--connections 1] [--seconds 2] [--rounds 12]
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import { quantileSorted } from 'simple-statistics';
import { loadConfig } from '../src/config.js';
import { writeWeights } from '../src/db/routing-weights.js';
import { createLogger } from '../src/log.js';
import { SentenceEmbedder } from '../src/models/embedder.js';
import { embeddingModelDir } from '../src/models/fetch-model.js';
import { ModelServer } from '../src/models/model-server.js';
import type { Predictor } from '../src/models/predictor.js';
import { ModelRegistry } from '../src/models/registry.js';
import { ensureReferenceModel, REFERENCE_MODEL_ID } from '../src/reference/register.js';
import { startRouter } from '../src/router/server.js';
import { createTestDatabase } from '../test/support/db.js';
import { catalogueVersions } from '../test/support/router.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '12' },
  },
});
const CONNECTIONS = Number(args.connections);
const SECONDS = Number(args.seconds);
const ROUNDS = Math.max(2, Math.round(Number(args.rounds) / 2) * 2);
const TEXT = 'Expose CRUD endpoints for the invoice resource';

interface Target {
  url: string;
  modelId: string;
}
interface Sample {
  requests: number;
  seconds: number;
  latencies: number[];
}

async function round(target: Target, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: CONNECTIONS,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modelId: target.modelId, input: { text: TEXT } }),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${target.url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function summarize(samples: Sample[]) {
  const all = samples.flatMap((s) => s.latencies).sort((x, y) => x - y);
  const rps = samples.reduce((n, s) => n + s.requests, 0) / samples.reduce((t, s) => t + s.seconds, 0);
  return { rps: Math.round(rps * 100) / 100, p50Ms: r3(quantileSorted(all, 0.5)), p99Ms: r3(quantileSorted(all, 0.99)), requests: all.length };
}

function difference(a: ReturnType<typeof summarize>, b: ReturnType<typeof summarize>) {
  return { throughputRatio: r3(b.rps / a.rps), addedP50Ms: r3(b.p50Ms - a.p50Ms), addedP99Ms: r3(b.p99Ms - a.p99Ms) };
}

/** ABBA order over `rounds` rounds, so a steady drift in the machine's load falls on a and b alike. */
async function compare(a: Target, b: Target, rounds: number) {
  await round(a, 1);
  await round(b, 1);
  const sa: Sample[] = [];
  const sb: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 4 === 0 || i % 4 === 3 ? ([[a, sa], [b, sb]] as const) : ([[b, sb], [a, sa]] as const);
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

const db = await createTestDatabase();
const home = mkdtempSync(path.join(tmpdir(), 'learnloop-bench-'));
const embedder = await SentenceEmbedder.load(embeddingModelDir(loadConfig().home));
const registry = new ModelRegistry(db.pool, path.join(home, 'artifacts'));
await ensureReferenceModel({ registry, pool: db.pool, embedder, home });
// A model that is never loaded, for the pair without inference.
await catalogueVersions(db.pool, 'constant', ['v1']);
await writeWeights(db.pool, 'constant', { v1: 100 }, 'bench');

// (a) bare: one handler, the same encoder and head, nothing else.
const head = await registry.loadArtifact(REFERENCE_MODEL_ID, 'v1');
const session = await ort.InferenceSession.create(head, { intraOpNumThreads: 1 });
const constant = { label: 'rest_crud', confidence: 1, probabilities: [1] };
const bare = Fastify();
bare.post('/v1/infer', async (req) => {
  const { modelId, input } = req.body as { modelId: string; input: { text: string } };
  if (modelId === 'constant') return { output: constant };
  const [e] = await embedder.embed([input.text]);
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', e!, [1, e!.length]) });
  const p = out[session.outputNames[0]!]!.data as Float32Array;
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return { output: { index: best, confidence: p[best] } };
});
const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/v1/infer`;

// (b) the router as `learnloop router` runs it (default settings), logging at info to a file.
const server = new ModelServer(registry, embedder);
const predictor: Predictor = {
  predict: (modelId, version, input) => (modelId === 'constant' ? Promise.resolve(constant) : server.predict(modelId, version, input)),
  warm: (modelId, version) => (modelId === 'constant' ? Promise.resolve() : server.warm(modelId, version)),
};
const destination = pino.destination({ dest: path.join(home, 'router.log'), sync: true });
const router = await startRouter({
  config: loadConfig({ DATABASE_URL: db.url }),
  pool: db.pool,
  predictor,
  logger: createLogger({ level: 'info', destination }),
  port: 0,
});
const routerUrl = `${router.url}/v1/infer`;

const withModel = await compare({ url: bareUrl, modelId: REFERENCE_MODEL_ID }, { url: routerUrl, modelId: REFERENCE_MODEL_ID }, ROUNDS);
const withoutModel = await compare({ url: bareUrl, modelId: 'constant' }, { url: routerUrl, modelId: 'constant' }, 4);

await router.close();
await server.close();
await bare.close();
await session.release();
await embedder.close();
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
    noiseFloor: withModel.noiseFloor,
    withoutModel: {
      bare: withoutModel.bare,
      router: withoutModel.router,
      // CPU time the router adds per request (routing, validation, log line, metrics, row batching, and the
      // PostgreSQL inserts on this same machine), from the request rates: 1/rps(router) − 1/rps(bare).
      addedUsPerRequest: Math.round(1e6 / withoutModel.router.rps - 1e6 / withoutModel.bare.rps),
      addedP50Ms: withoutModel.addedP50Ms,
      addedP99Ms: withoutModel.addedP99Ms,
    },
  }),
);
