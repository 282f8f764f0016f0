import { after, before, test } from 'node:test';
import path from 'node:path';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { phrasebookContext } from '../../src/reference/phrasebook-context.js';
import { runCommand, runLearnloop } from '../support/cli.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

let db: ThrowawayDatabase;

/** The machine's PATH and home with this test's database; `env` adds or overrides. */
const environment = (env: Record<string, string> = {}) => ({
  PATH: loadConfig().searchPath,
  HOME: process.env.HOME ?? '/root',
  DATABASE_URL: db.url,
  LEARNLOOP_HOME: loadConfig().home,
  ...env,
});
const run = (command: string, args: string[], env: Record<string, string> = {}) => runCommand(command, args, environment(env));
const learnloop = (...args: string[]) => runLearnloop(args, environment());

before(async () => {
  db = await throwawayDatabase({ migrate: false });
});
after(async () => {
  await db.drop();
});

test('every command has --help', async () => {
  for (const args of [['--help'], ['models', '--help'], ['routes', 'set', '--help'], ['demo', '--help'], ['up', '--help']]) {
    const { code, stdout } = await learnloop(...args);
    assert.equal(code, 0, args.join(' '));
    assert.match(stdout, /Usage: learnloop/);
  }
});

test('a bad command line is one readable line and a non-zero exit', async () => {
  const bad = await learnloop('routes', 'set', 'reference', 'v1=90', 'v2=20');
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /^learnloop: routes for reference must sum to 100: v1=90 v2=20/);

  const notAVariant = await learnloop('routes', 'set', 'reference', 'v1+phrasebook=100');
  assert.notEqual(notAVariant.code, 0);
  assert.match(notAVariant.stderr, /"v1\+phrasebook=100" is not VERSION=PERCENT or VERSION\+CONTEXT@N=PERCENT/);

  const unregistered = await learnloop('routes', 'set', 'reference', 'v1=100');
  assert.notEqual(unregistered.code, 0);
  assert.match(unregistered.stderr, /not registered/);

  const config = await runLearnloop(['models', 'list'], environment({ ROUTER_PORT: 'abc' }));
  assert.notEqual(config.code, 0);
  assert.match(config.stderr.trim(), /^learnloop: invalid configuration: ROUTER_PORT: /);
});

test('npm run demo trains and registers the reference model, sends traffic through v1 and v2, and exits 0', async () => {
  const { code, stdout, stderr } = await run('npm', ['run', 'demo', '--', '--duration', '6s'], {
    TEMPORAL_PORT: '17433',
    TEMPORAL_UI_PORT: '18433',
    ROUTER_PORT: '18098',
    LEARNLOOP_ARTIFACT_DIR: path.join(loadConfig().home, 'test-artifacts'),
  });
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  const first = lines.find((l) => l.startsWith('PostgreSQL '));
  assert.match(
    first ?? '',
    /; deduplication (exact|through the pgvector HNSW index): \S/,
    `the demo's first lines name the dedup path:\n${stdout}`,
  );
  // Only what is about the demo: no pino warn/error records, no npm warnings.
  assert.doesNotMatch(stdout + stderr, /"level":(40|50|60)/);
  assert.doesNotMatch(stdout + stderr, /npm warn/i);
  for (const version of ['v1', 'v2']) {
    const line = lines.find((l) => l.startsWith(`${version} `));
    assert.ok(line, `a row for ${version} in:\n${stdout}`);
    const [, served, , stored, feedback] = line.trim().split(/\s+/);
    assert.ok(Number(served) > 0, `${version} served traffic`);
    assert.equal(stored, served, `${version}: every served request is stored`);
    assert.equal(feedback, served, `${version}: every request got feedback`);
  }
  const { rows } = await db.pool.query('SELECT version, avg(test_pass_rate) AS p FROM feedback GROUP BY version ORDER BY version');
  assert.ok(Number(rows[0].p) > Number(rows[1].p), 'v1 passes more checks than v2');

  const history = await learnloop('models', 'history', 'reference');
  assert.equal(history.code, 0);
  assert.match(history.stdout, /^production\tv1\t/m);
});

test('routes set serves a version with a context beside it; routes show lists the variants', async () => {
  // The demo above registered the reference model; a context is what an A/B test of contexts would have created.
  await createContext(db.pool, 'drifted-phrasebook', phrasebookContext(), 'test');
  const set = await learnloop('routes', 'set', 'reference', 'v1=50', 'v1+drifted-phrasebook@1=50');
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout.trim(), 'reference: v1=50 v1+drifted-phrasebook@1=50');
  assert.equal((await learnloop('routes', 'show', 'reference')).stdout.trim(), 'v1=50 v1+drifted-phrasebook@1=50');
  const { rows } = await db.pool.query(
    `SELECT version, context_id, context_version, percent FROM routing_weights WHERE model_id = 'reference' ORDER BY context_id NULLS FIRST`,
  );
  assert.deepEqual(rows, [
    { version: 'v1', context_id: null, context_version: null, percent: 50 },
    { version: 'v1', context_id: 'drifted-phrasebook', context_version: 1, percent: 50 },
  ]);

  const unknown = await learnloop('routes', 'set', 'reference', 'v1=50', 'v1+drifted-phrasebook@9=50');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /not registered: v1, v1\+drifted-phrasebook@9/);
  assert.equal(
    (await learnloop('routes', 'show', 'reference')).stdout.trim(),
    'v1=50 v1+drifted-phrasebook@1=50',
    'a refused change changes nothing',
  );
});
