import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, test, type TestContext } from 'node:test';
import { Command } from 'commander';
import { registerAbTestingCommands } from '../../src/cli/ab-testing.js';
import { registerPatternCommands } from '../../src/cli/patterns.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';

// The commands run in-process on a commander program as main.ts will build it, against a fresh database.
let db: ThrowawayDatabase;
const trace = (name: string) => fileURLToPath(new URL(`../fixtures/execution-feedback/${name}`, import.meta.url));

before(async () => {
  db = await throwawayDatabase();
  process.env.DATABASE_URL = db.url;
});
after(async () => {
  await db.drop();
});

async function cli(t: TestContext, ...args: string[]): Promise<string> {
  const program = new Command('learnloop').exitOverride();
  registerAbTestingCommands(program);
  registerPatternCommands(program);
  const log = t.mock.method(console, 'log', () => {});
  try {
    await program.parseAsync(['node', 'learnloop', ...args]);
  } finally {
    log.mock.restore();
  }
  return log.mock.calls.map((c) => c.arguments.join(' ')).join('\n');
}

test('ab plan: requests per variant and hours at the given traffic', async (t) => {
  const out = await cli(t, 'ab', 'plan', '--baseline', '0.71', '--mde', '0.02', '--requests-per-hour', '1000');
  // 7911 per arm: the number SciPy gives (test/fixtures/ab-testing/welch-scipy.json); 500 an hour reach each arm.
  assert.equal(
    out,
    '7911 requests per variant (15822 in all) to detect 0.71 → 0.73 at alpha 0.05, power 0.8\n' +
      'at 1000 requests/hour with 50% to B: 15.8 hours (0.7 days)',
  );
});

test('ab plan without a rate uses the model’s traffic of the last 24 hours', async (t) => {
  for (let i = 0; i < 48; i++) {
    await db.pool.query(
      `INSERT INTO inference_requests (request_id, model_id, version, input, latency_ms) VALUES ($1, 'busy', 'v1', '{}', 1)`,
      [randomUUID()],
    );
  }
  const out = await cli(t, 'ab', 'plan', '--baseline', '0.71', '--mde', '0.02', '--model', 'busy', '--split', '20');
  assert.match(out, /\nat 2 requests\/hour with 20% to B: 19777\.5 hours \(824\.1 days\)$/);
});

test('ab plan refuses a rate past 1, naming the option', async (t) => {
  await assert.rejects(
    cli(t, 'ab', 'plan', '--baseline', '0.71', '--mde', '0.5', '--requests-per-hour', '10'),
    /--mde: baseline \+ mde must stay below 1/,
  );
  await assert.rejects(cli(t, 'ab', 'plan', '--baseline', 'x', '--mde', '0.5'), /--baseline must be a number/);
});

test('patterns learn, recommend for the same bug with another value, recurred, list', async (t) => {
  assert.match(await cli(t, 'patterns', 'recommend', trace('trace-python-42.txt')), /no pattern with confidence above 0.7$/);
  await cli(
    t,
    'patterns',
    'learn',
    trace('trace-python-7.txt'),
    '--fix-type',
    'input-validation',
    '--case',
    'TICKET-1',
    '--context-change',
    '{"constraint":"check the key exists"}',
  );
  const rec = await cli(t, 'patterns', 'recommend', trace('trace-python-42.txt'));
  assert.match(rec, /^error: KeyError at failing\.py:find_order \(<str>; missing-key\)/);
  assert.match(rec, /\nfix: input-validation {2}confidence 0\.77 × effectiveness 0\.67 = 0\.51\n/);
  assert.match(rec, /\ncontext change: {"constraint":"check the key exists"}\nsupporting cases: TICKET-1$/);
  assert.match(await cli(t, 'patterns', 'recurred', trace('trace-python-42.txt')), /applied 1, recurred 1 {2}effectiveness 0\.33$/);
  const list = await cli(t, 'patterns', 'list', '--language', 'python');
  assert.match(list, /python {2}KeyError at failing\.py:find_order {2}fix: input-validation {2}cases: 1/);
  assert.equal(await cli(t, 'patterns', 'list', '--language', 'java'), 'no patterns learned yet');
  await assert.rejects(cli(t, 'patterns', 'learn', trace('trace-java-7.txt'), '--fix-type', 'magic', '--case', 'x'), /--fix-type: /);
});
