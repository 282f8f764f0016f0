import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { replaceApplicationRoutes, type ApplicationRoute } from '../../src/db/application-routes.js';
import { insertRequirements } from '../../src/db/learning.js';
import { withTransaction } from '../../src/db/pool.js';
import { writeWeights } from '../../src/db/routing-weights.js';
import { createContext } from '../../src/execution-feedback/context-store.js';
import { ticketTriage } from '../../src/learning/applications/catalog.js';
import { createLogger } from '../../src/log.js';
import type { Predictor } from '../../src/models/predictor.js';
import type { RunningRouter } from '../../src/router/server.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { catalogueVersions } from '../../bench/support/echo-model.js';
import { startRouterOn } from '../support/router.js';
import { runSchemathesis, schemathesisTool } from '../support/schemathesis.js';

// Schemathesis (PyPI, pinned, installed like every Python tool: src/platform/python-tools.ts) generates requests
// for every operation of the router's /openapi.json, valid and invalid, and checks each answer against it:
//  - no 5xx but the ones the document declares (502: the model failed; 503 with Retry-After): a 500 is a bug;
//  - every status code, content type, header and body conforms to the document;
//  - invalid requests are refused (4xx); with the token left out or wrong, every operation but /healthz says 401;
//  - a method a path does not take is answered 405 with Allow.
// Not checked: that every schema-valid request is accepted (positive_data_acceptance): some rules are the
// business's, beyond JSON Schema (route shares summing to 100, a registered version, a JUnit root element).
const TOKEN = 'fuzz-token';
// A longer or different run: LEARNLOOP_FUZZ_EXAMPLES=300 LEARNLOOP_FUZZ_SEED=1 node --import tsx --test test/router/fuzz.test.ts
const SEED = Number(process.env.LEARNLOOP_FUZZ_SEED ?? 7);
const EXAMPLES = Number(process.env.LEARNLOOP_FUZZ_EXAMPLES ?? 30);
let db: ThrowawayDatabase;
let router: RunningRouter;
let dir: string;
const routerErrors: string[] = [];

/** Answers with the version's name, and fails (as a broken model would) on an input whose length is a multiple of 3: 502s to check. */
const sometimesFailing: Predictor = {
  predict(_modelId, version, input) {
    if (input.text.length % 3 === 0) return Promise.reject(new Error(`session for ${version} failed on this input`));
    return Promise.resolve({ label: version, confidence: 1, probabilities: [1] });
  },
};

before(async () => {
  db = await throwawayDatabase();
  await catalogueVersions(db.pool, 'reference', ['v1', 'v2']);
  await writeWeights(db.pool, 'reference', { v1: 50, v2: 50 }, 'test');
  await createContext(db.pool, 'checkout-service', { template: 'Write it.' }, 'test');
  await db.pool.query(`INSERT INTO learning_cycles (id, input) VALUES ('cycle-fuzz', '{}')`);
  await insertRequirements(db.pool, ticketTriage.initialRequirements, null);
  await withTransaction(db.pool, (c) =>
    replaceApplicationRoutes(
      c,
      ticketTriage.id,
      ticketTriage.variants.map(
        (variant, i): ApplicationRoute => ({
          variant,
          percent: i === 0 ? 100 : 0,
          baseline: i === 0,
          requirementsVersion: 1,
          cycleId: 'cycle-fuzz',
        }),
      ),
    ),
  );
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) if (/"level":(50|60)/.test(line)) routerErrors.push(line);
      done();
    },
  });
  router = await startRouterOn(db, {
    env: { LEARNLOOP_API_TOKEN: TOKEN },
    predictor: sometimesFailing,
    logger: createLogger({ level: 'warn', destination }),
    // CI events are served when Temporal is there to process them; here processing "starts" at once.
    dispatchCiEvent: async () => {},
  });
  dir = await mkdtemp(path.join(tmpdir(), 'learnloop-fuzz-'));
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (router as typeof router | undefined)?.close();
  await (db as typeof db | undefined)?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const CONFIG = `
# Every 5xx fails the run but 502 and 503, which the operations that can answer them declare (an undeclared one
# fails status_code_conformance).
[checks.not_a_server_error]
expected-statuses = ["2xx", "3xx", "4xx", "502", "503"]

# 413 is how the router refuses a body over its limit, which is how an array past maxItems usually ends.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]

[checks.positive_data_acceptance]
enabled = false

# The CI reports' context, so that some get past the lookup.
[[operations]]
include-name = "POST /v1/ci-events"
parameters = { "x-learnloop-context-id" = "checkout-service" }
`;

test(`Schemathesis finds nothing wrong in a few hundred requests per the router's OpenAPI document (${String(schemathesisTool.requirements[0])})`, async () => {
  const config = path.join(dir, 'schemathesis.toml');
  await writeFile(config, CONFIG);
  const har = path.join(dir, 'run.har');
  const run = await runSchemathesis(
    loadConfig().home,
    [
      `${router.url}/openapi.json`,
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      '--checks',
      'all',
      // Configured off below too; a check named on the command line would otherwise be back on.
      '--exclude-checks',
      'positive_data_acceptance',
      '--max-examples',
      String(EXAMPLES),
      '--seed',
      String(SEED),
      '--workers',
      '2',
      '--report',
      'har',
      '--report-har-path',
      har,
    ],
    { cwd: dir, configFile: config },
  );
  const entries = (
    JSON.parse(await readFile(har, 'utf8')) as {
      log: { entries: { request: { method: string; url: string }; response: { status: number } }[] };
    }
  ).log.entries;
  const statuses = new Map<number, number>();
  for (const e of entries) statuses.set(e.response.status, (statuses.get(e.response.status) ?? 0) + 1);
  const summary = `${entries.length} requests, by status ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`;
  process.stdout.write(`# schemathesis: ${summary}\n`);
  assert.equal(run.exitCode, 0, `Schemathesis found failures (${summary}):\n${run.output.slice(-20_000)}`);
  assert.ok(entries.length >= 300, summary);
  assert.equal(statuses.get(500) ?? 0, 0, 'no 500');
  assert.deepEqual(
    routerErrors.filter((l) => !l.includes('"msg":"inference failed"')),
    [],
    'the router logged no error but the failing model',
  );
  // Every operation was exercised, and past its validation at least once (one without input needs few requests).
  const doc = (await (await fetch(`${router.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  for (const [template, methods] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${router.url}${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const method of Object.keys(methods)) {
      const answered = entries.filter((e) => e.request.method === method.toUpperCase() && pattern.test(e.request.url.split('?')[0]!));
      assert.ok(answered.length >= 1, `${method.toUpperCase()} ${template}: no requests`);
      assert.ok(
        answered.some((e) => e.response.status < 300),
        `${method.toUpperCase()} ${template}: no success among ${answered.length}`,
      );
    }
  }
});
