import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerSimulateCommand } from '../../src/cli/simulate.js';
import { loadConfig } from '../../src/config.js';
import { writeWeights } from '../../src/db/routing-weights.js';
import { createLogger } from '../../src/log.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { ModelServer } from '../../src/models/model-server.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { SamplingPredictor } from '../../src/models/sampling-predictor.js';
import { generateRequirements } from '../../src/reference/generator.js';
import { seededRandom } from '../../src/training/random.js';
import { ensureReferenceModel, REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { checkOutput, type Requirement } from '../../src/reference/task.js';
import { selectExamples } from '../../src/retraining/select-examples.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import { simulateTraffic, type VersionTally } from '../../src/simulate/traffic.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { routerFeatures } from '../../src/cli/router-features.js';

// The real reference model (v1) served by a real router at temperature 1.5, real HTTP on loopback, real PostgreSQL.
const SEED = 11;
const SAMPLES = 4;
const REQUESTS = 320;
const DRIFT_AT = 160;

let db: ThrowawayDatabase;
let home: string;
let embedder: SentenceEmbedder;
let server: ModelServer;
let router: RunningRouter;
let tally: VersionTally;

before(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: 'silent' });
  db = await throwawayDatabase();
  home = mkdtempSync(path.join(tmpdir(), 'learnloop-simulate-'));
  const registry = new ModelRegistry(db.pool, path.join(home, 'artifacts'));
  embedder = await SentenceEmbedder.load(embeddingModelDir(config.home));
  await ensureReferenceModel({ registry, pool: db.pool, embedder, home, logger, cacheDir: path.join(config.home, 'cache', 'embeddings') });
  await writeWeights(db.pool, REFERENCE_MODEL_ID, { v1: 100, v2: 0 }, 'test');
  server = new ModelServer(registry, embedder);
  router = await startRouter({
    config: loadConfig({ DATABASE_URL: db.url }),
    ...routerFeatures(),
    pool: db.pool,
    predictor: new SamplingPredictor(server, registry, { temperature: 1.5, rand: seededRandom(SEED) }),
    logger,
    port: 0,
  });
  const byVersion = await simulateTraffic({
    routerUrl: router.url,
    modelId: REFERENCE_MODEL_ID,
    durationMs: 120_000,
    maxRequests: REQUESTS,
    concurrency: 2,
    seed: SEED,
    drift: { afterRequests: DRIFT_AT, share: 1 },
    samplesPerRequirement: SAMPLES,
  });
  tally = byVersion.get('v1')!;
  await router.writer.drain();
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (router as typeof router | undefined)?.close();
  await (server as typeof server | undefined)?.close();
  await (embedder as typeof embedder | undefined)?.close();
  await (db as typeof db | undefined)?.drop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const stored = async () =>
  (
    await db.pool.query<{ text: string; label: string; confidence: number; pass_rate: number; variance: number }>(
      `SELECT r.input ->> 'text' AS text, r.output ->> 'label' AS label, (r.output ->> 'confidence')::float8 AS confidence,
              f.test_pass_rate::float8 AS pass_rate, f.implementation_variance::float8 AS variance
       FROM inference_requests r JOIN feedback f USING (request_id) ORDER BY r.at`,
    )
  ).rows;

const requirementsByText = new Map<string, Requirement>(
  (['standard', 'drifted'] as const).flatMap((phrasing) =>
    generateRequirements({ seed: SEED, count: 500, phrasing }).map((r) => [r.text, r]),
  ),
);

test('traffic drifts to the new phrasing after the drift point, and the pass rate drops with it', (t) => {
  assert.equal(tally.errors, 0);
  assert.equal(tally.byPhrasing.standard.requests, DRIFT_AT);
  assert.equal(tally.byPhrasing.drifted.requests, REQUESTS - DRIFT_AT);
  const before = tally.byPhrasing.standard.passRateSum / tally.byPhrasing.standard.requests;
  const afterDrift = tally.byPhrasing.drifted.passRateSum / tally.byPhrasing.drifted.requests;
  t.diagnostic(`pass rate before drift ${before.toFixed(3)}, after ${afterDrift.toFixed(3)}`);
  assert.ok(afterDrift < before - 0.05, `pass rate ${before.toFixed(3)} before the drift, ${afterDrift.toFixed(3)} after`);
});

test('every request is answered with a sampled output, and its feedback is that output really checked', async (t) => {
  const rows = await stored();
  assert.equal(rows.length, REQUESTS);
  for (const r of rows) {
    const requirement = requirementsByText.get(r.text);
    assert.ok(requirement, `the request's text is one of the simulator's requirements: ${r.text}`);
    const check = checkOutput(requirement, r.label);
    assert.ok(Math.abs(r.pass_rate - check.testPassRate) < 1e-6 && Math.abs(r.variance - check.implementationVariance) < 1e-6);
  }
  const labelsPerText = new Map<string, Set<string>>();
  for (const r of rows) labelsPerText.set(r.text, (labelsPerText.get(r.text) ?? new Set()).add(r.label));
  assert.equal(labelsPerText.size, REQUESTS / SAMPLES, `each requirement is asked ${SAMPLES} times`);
  const varied = [...labelsPerText.values()].filter((s) => s.size > 1).length;
  t.diagnostic(`${varied} of ${labelsPerText.size} requirements got more than one distinct output`);
  assert.ok(varied > 0, 'at temperature 1.5 some requirements get different outputs across their samples');
});

test('sampling turns drifted requests the model gets wrong into passing examples that selection picks up', async (t) => {
  const rows = await stored();
  const drifted = rows.filter((r) => requirementsByText.get(r.text)!.phrasing === 'drifted');
  const withFailingSample = new Set(drifted.filter((r) => r.pass_rate <= 0.75).map((r) => r.text));
  const selected = await selectExamples(db.pool, { modelId: REFERENCE_MODEL_ID, limit: 1000 });
  const rescued = selected.filter((e) => withFailingSample.has(e.text));
  t.diagnostic(`${withFailingSample.size} drifted requirements had a failing sample; ${rescued.length} passing samples of them selected`);
  assert.ok(rescued.length > 0, 'some drifted requirements with a failing sample also have a passing one, and it qualifies');
  for (const e of rescued) assert.ok(e.testPassRate > 0.75 && e.implementationVariance < 0.04);
});

test('`learnloop simulate` sends drifting, repeated requests to a router and prints pass rates per phrasing', async (t) => {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerSimulateCommand(program);
  const lines: string[] = [];
  t.mock.method(console, 'log', (line: string) => lines.push(line));
  await program.parseAsync(
    ['simulate', '--router', router.url, '--requests', '8', '--samples', '2', '--drift-after', '4', '--concurrency', '1', '--seed', '3'],
    { from: 'user' },
  );
  t.mock.restoreAll();
  assert.equal(lines[0], 'version  requests  errors  pass rate  standard  drifted');
  assert.match(lines[1]!, /^v1\s+8\s+0\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}$/);
  await router.writer.drain();
  assert.equal((await stored()).length, REQUESTS + 8);

  const bad = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerSimulateCommand(bad);
  await assert.rejects(
    bad.parseAsync(['simulate', '--drift-share', '2'], { from: 'user' }),
    (err: unknown) => err instanceof CommanderError && /not a share between 0 and 1/.test(err.message),
  );
});
