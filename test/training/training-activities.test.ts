import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createTrainingActivities } from '../../activities/training.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { generateRequirements } from '../../src/reference/generator.js';
import { ensureReferenceModel, REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { headFromOnnx } from '../../src/training/onnx-head.js';
import { qualityGate } from '../../src/training/quality-gate.js';
import { readHeadFile } from '../../src/training/weights-file.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { seedExample } from '../support/retraining-seed.js';
import { createDevServerEnv } from '../../bench/support/temporal.js';
import { trainCandidate, type TrainCandidateInput } from './workflows/train-candidate.js';
import { canaryHeldOutSet } from '../../src/reference/held-out.js';

// Everything real: the dev server, PostgreSQL, the reference model v1 trained and registered, production requests
// with feedback in the database, the sentence encoder. The drifted phrasing is what v1 has not learned.
const root = fileURLToPath(new URL('../..', import.meta.url));
const workflowsPath = fileURLToPath(new URL('./workflows/train-candidate.ts', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/training/training-worker.ts', import.meta.url));
const realHome = loadConfig().home;
/** The reference head needs this, not the specs' 1e-6 (see the README and bench/train.ts's learning-rate sweep). */
const REFERENCE_LR = 3e-3;
const canary = [{ phrasing: 'drifted' as const, seed: 200, count: 250 }];

describe('training activities on a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: ThrowawayDatabase;
  let dir: string;
  let config: Config;
  let embedder: SentenceEmbedder;
  let registry: ModelRegistry;
  let examples: TrainCandidateInput['fineTune']['examples'];
  const workers: { shutdown(): void; running: Promise<void> }[] = [];
  const logger = createLogger({ level: 'silent' });

  const startWorker = async (options: Parameters<typeof Worker.create>[0]) => {
    const worker = await Worker.create(options);
    workers.push({
      shutdown: () => {
        worker.shutdown();
      },
      running: worker.run(),
    });
  };
  const activities = () => createTrainingActivities({ pool: db.pool, logger, config }, { embedder, canaryHeldOutSet });
  const input = (
    runId: string,
    version: string,
    overrides: Partial<TrainCandidateInput['fineTune']> = {},
    trainingTaskQueue = 'training',
  ): TrainCandidateInput => ({
    trainingTaskQueue,
    fineTune: {
      runId,
      modelId: REFERENCE_MODEL_ID,
      baseVersion: 'v1',
      examples,
      hyperparameters: { learningRate: REFERENCE_LR },
      ...overrides,
    },
    evaluate: { modelId: REFERENCE_MODEL_ID, productionVersion: 'v1', canary, emergency: overrides.emergency ?? false },
    register: { runId, modelId: REFERENCE_MODEL_ID, version, metadata: { baseVersion: 'v1' } },
  });
  const run = (id: string, args: TrainCandidateInput) =>
    env.client.workflow.execute(trainCandidate, { taskQueue: 'workflows', workflowId: id, args: [args] });

  before(async () => {
    env = await createDevServerEnv();
    db = await throwawayDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'learnloop-train-act-'));
    config = loadConfig({ DATABASE_URL: db.url, LEARNLOOP_HOME: realHome, LEARNLOOP_ARTIFACT_DIR: path.join(dir, 'artifacts') });
    embedder = await SentenceEmbedder.load(embeddingModelDir(realHome));
    registry = new ModelRegistry(db.pool, config.artifactDir);
    await ensureReferenceModel({ registry, pool: db.pool, embedder, home: dir, cacheDir: path.join(realHome, 'cache', 'embeddings') });
    // 100 drifted requests whose served output passed every check: what selection would hand to training.
    const drifted = generateRequirements({ seed: 100, count: 100, phrasing: 'drifted' });
    examples = [];
    for (const r of drifted) {
      const requestId = await seedExample(db.pool, {
        modelId: REFERENCE_MODEL_ID,
        version: 'v1',
        text: r.text,
        output: { label: r.template },
        passRate: 1,
        variance: 0,
      });
      examples.push({ requestId, text: r.text, label: r.template, weight: 1 });
    }
    await startWorker({ connection: env.nativeConnection, taskQueue: 'workflows', workflowsPath, activities: activities() });
    await startWorker({ connection: env.nativeConnection, taskQueue: 'training', activities: activities() });
  });
  after(async () => {
    workers.forEach((w) => {
      w.shutdown();
    });
    await Promise.all(workers.map((w) => w.running));
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    await (embedder as typeof embedder | undefined)?.close();
    await (db as typeof db | undefined)?.drop();
    await (env as typeof env | undefined)?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  test('fine-tuning v1 on drifted traffic raises its canary pass rate; the gate deploys it and registering twice registers once', async (t) => {
    const { trained, evaluation, registered, again } = await run('train-a', input('run-a', 'v3'));
    t.diagnostic(`drifted canary pass rate: production ${evaluation.production.passRate}, candidate ${evaluation.candidate.passRate}`);
    assert.equal(trained.trainer, 'tfjs');
    assert.equal(trained.backend, 'wasm');
    assert.equal(trained.examples, 100);
    assert.equal(trained.epochsRun, 5);
    assert.equal(trained.steps, 5 * Math.ceil(80 / 8), '80 training examples, 8 per optimizer step');
    assert.equal(trained.attempt, 1);
    assert.equal(trained.resumedAfter, null);
    assert.equal(trained.hyperparameters.learningRate, REFERENCE_LR);
    assert.equal(evaluation.canaryExamples, 250);
    assert.ok(evaluation.improvement > 0.05, `improvement ${evaluation.improvement}`);
    assert.ok(Math.abs(evaluation.candidate.passRate - evaluation.production.passRate - evaluation.improvement) < 1e-9);
    assert.equal(evaluation.gate.deploy, true);

    assert.deepEqual(again, registered);
    assert.deepEqual(
      (await registry.list(REFERENCE_MODEL_ID)).map((v) => v.version),
      ['v1', 'v2', 'v3'],
    );
    const servedWeights = headFromOnnx(await registry.loadArtifact(REFERENCE_MODEL_ID, 'v3'));
    assert.deepEqual(servedWeights, await readHeadFile(trained.candidatePath), 'the registered ONNX holds the trained weights');
    assert.equal((await registry.get(REFERENCE_MODEL_ID, 'v3')).metadata.trainingRunId, 'run-a');
  });

  test("with the specs' lr of 1e-6 the head barely moves: an emergency run is 3 epochs and no better than production", async () => {
    const { trained, evaluation } = await run(
      'train-b',
      input('run-b', 'v4', { emergency: true, hyperparameters: { learningRate: 1e-6 } }),
    );
    assert.equal(trained.hyperparameters.learningRate, 1e-6);
    assert.equal(trained.epochsRun, 3);
    assert.equal(trained.steps, 3 * 10);
    assert.ok(Math.abs(evaluation.improvement) < 0.01, `improvement ${evaluation.improvement}`);
    assert.equal(evaluation.gate.threshold, -0.02);
    assert.equal(evaluation.gate.deploy, true, 'an emergency tolerates no improvement');
    assert.equal(
      qualityGate({
        candidatePassRate: evaluation.candidate.passRate,
        productionPassRate: evaluation.production.passRate,
        emergency: false,
      }).deploy,
      evaluation.improvement > 0,
    );
  });

  test('bad input fails the activity at once, without retries, naming the field', async () => {
    const cases: [string, TrainCandidateInput, RegExp][] = [
      ['bad-run-id', input('run/../../etc', 'v9'), /runId: use letters, digits/],
      [
        'bad-label',
        input('run-bad-label', 'v9', { examples: [examples[0]!, { ...examples[1]!, label: 'graphql_api' }] }),
        /examples\.1\.label: "graphql_api" is none of reference@v1's labels/,
      ],
      ['bad-base', input('run-bad-base', 'v9', { baseVersion: 'v77' }), /baseVersion: model version reference@v77 is not registered/],
    ];
    for (const [id, args, message] of cases) {
      await assert.rejects(run(id, args), (err: Error & { cause?: Error & { cause?: Error } }) => {
        assert.match(String(err.cause?.cause?.message), message);
        return true;
      });
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      const attempts = history.events
        ?.filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes!.attempt);
      assert.deepEqual(attempts, [1], `${id}: one attempt, no retry`);
    }
  });

  test('a training worker killed mid-epoch: the retry on another worker resumes from the checkpoint and ends like an uninterrupted run', async () => {
    const queue = 'training-crashy';
    const checkpoints = path.join(config.artifactDir, 'training', 'run-c', 'checkpoints');
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        workerScript,
        JSON.stringify({ address: env.address, namespace: env.namespace ?? 'default', taskQueue: queue, batchDelayMs: 100 }),
      ],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: db.url, LEARNLOOP_HOME: realHome, LEARNLOOP_ARTIFACT_DIR: config.artifactDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => {
        resolve(signal);
      }),
    );
    try {
      const result = run('train-c', input('run-c', 'v5', {}, queue));
      // The same examples and settings as run-a: an uninterrupted run's result is known.
      const deadline = Date.now() + 120_000;
      while (!existsSync(path.join(checkpoints, 'epoch-0001.json'))) {
        assert.ok(Date.now() < deadline, 'the first checkpoint appeared');
        await sleep(20);
      }
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.deepEqual(
        readdirSync(checkpoints).filter((f) => f.endsWith('.json')),
        ['epoch-0001.json'],
        'killed during the second epoch',
      );

      await startWorker({ connection: env.nativeConnection, taskQueue: queue, activities: activities() });
      const { trained } = await result;
      assert.equal(trained.attempt, 2);
      assert.equal(trained.resumedFromEpoch, 1);
      // Heartbeats reach the server throttled (at most one per 0.8 × heartbeat timeout), so the last one delivered
      // may still be from the first epoch; what the retry resumes from is the checkpoint.
      assert.ok(
        trained.resumedAfter && trained.resumedAfter.epoch <= 1,
        `last heartbeat before the kill: ${JSON.stringify(trained.resumedAfter)}`,
      );
      assert.equal(trained.steps, 50);
      assert.equal(trained.epochsRun, 5);
      const uninterrupted = await readHeadFile(path.join(config.artifactDir, 'training', 'run-a', 'output', 'weights.json'));
      const resumed = await readHeadFile(trained.candidatePath);
      uninterrupted.layers.forEach((l, i) => {
        const other = resumed.layers[i]!;
        const maxDiff = Math.max(...Array.from(l.kernel, (v, j) => Math.abs(v - other.kernel[j]!)));
        assert.ok(maxDiff < 1e-6, `layer ${i} kernels differ by ${maxDiff}`);
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
