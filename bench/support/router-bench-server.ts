/**
 * One server of bench/router.ts in a process of its own, so that its CPU time (`process.cpuUsage()`) is its own and
 * not the load generator's or the other server's. Forked with IPC:
 *
 *   bare <databaseUrl> <home>    a bare fastify handler: the same encoder and ONNX head, nothing else
 *   router <databaseUrl> <home>  the learnloop router as `learnloop router` runs it, logging at info to a file
 *
 * Messages: the child sends { type: 'ready', url } once listening; it answers { type: 'cpu' } with its cumulative
 * { type: 'cpu', micros } (user + system) and { type: 'close' } by closing and exiting.
 */
import { defined } from '../../src/platform/defined.js';
import Fastify from 'fastify';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { ModelServer } from '../../src/models/model-server.js';
import type { Predictor } from '../../src/models/predictor.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { startRouter } from '../../src/router/server.js';
import { routerFeatures } from '../../src/cli/router-features.js';

export type BenchServerKind = 'bare' | 'router';
export type ToChild = { type: 'cpu' } | { type: 'close' };
export type FromChild = { type: 'ready'; url: string } | { type: 'cpu'; micros: number };

const [kind, databaseUrl, home] = process.argv.slice(2) as [BenchServerKind, string, string];
if (!process.send || !['bare', 'router'].includes(kind) || !databaseUrl || !home) {
  throw new Error('usage: forked with IPC, arguments bare|router <databaseUrl> <home>');
}
const send = (m: FromChild) => {
  if (!process.send) throw new Error('the IPC channel is missing');
  process.send(m);
};

// The pool `learnloop router` opens (the bare server only reads its model's artifact row with it).
const pool = createPool(databaseUrl);
const embedder = await SentenceEmbedder.load(embeddingModelDir(loadConfig().home));
const registry = new ModelRegistry(pool, path.join(home, 'artifacts'));
const constant = { label: 'rest_crud', confidence: 1, probabilities: [1] };
let close: () => Promise<void>;
let url: string;

if (kind === 'bare') {
  const head = await registry.loadArtifact(REFERENCE_MODEL_ID, 'v1');
  const session = await ort.InferenceSession.create(head, { intraOpNumThreads: 1 });
  const bare = Fastify();
  bare.post('/v1/infer', async (req) => {
    const { modelId, input } = req.body as { modelId: string; input: { text: string } };
    if (modelId === 'constant') return { output: constant };
    const [e] = await embedder.embed([input.text]);
    const embedding = defined(e, 'embedding');
    const out = await session.run({
      [defined(session.inputNames[0], 'model input')]: new ort.Tensor('float32', embedding, [1, embedding.length]),
    });
    const p = defined(out[defined(session.outputNames[0], 'model output')], 'model output').data as Float32Array;
    let best = 0;
    for (let i = 1; i < p.length; i++) if (defined(p[i], `probability ${i}`) > defined(p[best], `probability ${best}`)) best = i;
    return { output: { index: best, confidence: p[best] } };
  });
  url = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/v1/infer`;
  close = async () => {
    await bare.close();
    await session.release();
  };
} else {
  const server = new ModelServer(registry, embedder);
  const predictor: Predictor = {
    predict: (modelId, version, input) => (modelId === 'constant' ? Promise.resolve(constant) : server.predict(modelId, version, input)),
    warm: (modelId, version) => (modelId === 'constant' ? Promise.resolve() : server.warm(modelId, version)),
  };
  const destination = pino.destination({ dest: path.join(home, 'router.log'), sync: true });
  const router = await startRouter({
    config: loadConfig({ DATABASE_URL: databaseUrl }),
    ...routerFeatures(),
    pool,
    predictor,
    logger: createLogger({ level: 'info', destination }),
    port: 0,
  });
  url = `${router.url}/v1/infer`;
  close = async () => {
    await router.close();
    await server.close();
  };
}

process.on('message', (m: ToChild) => {
  if (m.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', micros: user + system });
  } else {
    void (async () => {
      await close();
      await embedder.close();
      await pool.end();
      process.exit(0);
    })();
  }
});
send({ type: 'ready', url });
