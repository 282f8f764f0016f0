/**
 * Router overhead: the reference model served (a) by a bare fastify handler that embeds and runs the ONNX head,
 * and (b) through the learnloop router (routing, request log batching, metrics, pino logging on), at the same
 * concurrency over loopback, alternating rounds in one run. Last line: JSON.
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { SentenceEmbedder } from '../src/models/embedder.js';
import { embeddingModelDir } from '../src/models/fetch-model.js';
import { ModelServer } from '../src/models/model-server.js';
import { ModelRegistry } from '../src/models/registry.js';
import { ensureReferenceModel } from '../src/reference/register.js';
import { startRouter } from '../src/router/server.js';
import { HEAD_INPUT, HEAD_OUTPUT, onnxLabels } from '../src/training/onnx-head.js';
import { createTestDatabase } from '../test/support/db.js';

const CONNECTIONS = 8;
const SECONDS = Number(process.argv[2] ?? 8);
const ROUNDS = 3;
const body = JSON.stringify({ modelId: 'reference', input: { text: 'Expose CRUD endpoints for the invoice resource' } });

async function load(url: string) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

const db = await createTestDatabase();
const home = mkdtempSync(path.join(tmpdir(), 'learnloop-bench-'));
const config = loadConfig();
const embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
const registry = new ModelRegistry(db.pool, path.join(home, 'artifacts'));
await ensureReferenceModel({ registry, pool: db.pool, embedder, home });

// (a) bare: one handler, the same encoder and head, nothing else.
const head = await registry.loadArtifact('reference', 'v1');
const session = await ort.InferenceSession.create(head, { intraOpNumThreads: 1 });
const labels = onnxLabels(head);
const bare = Fastify();
bare.post('/v1/infer', async (req) => {
  const { input } = req.body as { input: { text: string } };
  const [e] = await embedder.embed([input.text]);
  const out = await session.run({ [HEAD_INPUT]: new ort.Tensor('float32', e!, [1, e!.length]) });
  const p = out[HEAD_OUTPUT]!.data as Float32Array;
  return { label: labels[p.indexOf(Math.max(...p))] };
});
const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/v1/infer`;

// (b) the router, logging on (pino to a file, as in production).
const logFile = path.join(home, 'router.log');
const server = new ModelServer(registry, embedder);
const router = await startRouter({
  config: { databaseUrl: db.url, router: { host: '127.0.0.1', port: 0 } },
  pool: db.pool,
  predictor: server,
  logger: createLogger({ level: 'info', destination: (await import('pino')).pino.destination({ dest: logFile, sync: false }) }),
  port: 0,
});
const routerUrl = `${router.url}/v1/infer`;

await load(bareUrl);
await load(routerUrl);
const a: Awaited<ReturnType<typeof load>>[] = [];
const b: Awaited<ReturnType<typeof load>>[] = [];
for (let i = 0; i < ROUNDS; i++) {
  a.push(await load(bareUrl));
  b.push(await load(routerUrl));
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const bareRps = mean(a.map((r) => r.rps));
const routerRps = mean(b.map((r) => r.rps));
const result = {
  connections: CONNECTIONS,
  secondsPerRound: SECONDS,
  rounds: ROUNDS,
  bare: { rps: bareRps, p50Ms: mean(a.map((r) => r.p50)), p99Ms: mean(a.map((r) => r.p99)) },
  router: { rps: routerRps, p50Ms: mean(b.map((r) => r.p50)), p99Ms: mean(b.map((r) => r.p99)) },
  throughputRatio: routerRps / bareRps,
  addedP50Ms: mean(b.map((r) => r.p50)) - mean(a.map((r) => r.p50)),
  addedP99Ms: mean(b.map((r) => r.p99)) - mean(a.map((r) => r.p99)),
};
await router.close();
await server.close();
await bare.close();
await session.release();
await embedder.close();
await db.drop();
rmSync(home, { recursive: true, force: true });
console.log(JSON.stringify(result));
