import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startStubbedRouter, type StubbedRouter } from '../support/router.js';

// The API description is generated from the zod schemas that validate each route (src/router/schemas.ts).
const TOKEN = 'openapi-test-token';
let stack: StubbedRouter;
type Operation = {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { headers?: Record<string, { required?: boolean }> }>;
};
let doc: {
  openapi: string;
  security?: unknown[];
  components?: { securitySchemes?: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
};

before(async () => {
  // CI events are served when Temporal is there to process them; a stand-in dispatch puts the route in the document.
  stack = await startStubbedRouter({ v1: 100 }, { env: { LEARNLOOP_API_TOKEN: TOKEN }, dispatchCiEvent: async () => {} });
  const res = await fetch(`${stack.router.url}/openapi.json`);
  assert.equal(res.status, 200, 'the document needs no token');
  doc = (await res.json()) as typeof doc;
});
after(async () => {
  await stack.close();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })),
  );

test('the router serves an OpenAPI 3.1 document naming every route it serves', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(
    operations()
      .map((o) => o.id)
      .sort(),
    [
      'GET /healthz',
      'GET /metrics',
      'GET /v1/applications',
      'GET /v1/models',
      'GET /v1/models/{modelId}/routes',
      'POST /v1/applications/{application}/predict',
      'POST /v1/ci-events',
      'POST /v1/feedback',
      'POST /v1/infer',
      'PUT /v1/models/{modelId}/routes',
    ],
  );
});

test('every operation declares its answers: 400 where it reads input, 401 behind the token, 413 and 415 where it reads a body, 503 with Retry-After', () => {
  assert.deepEqual(doc.components?.securitySchemes, { bearer: { type: 'http', scheme: 'bearer', description: 'LEARNLOOP_API_TOKEN' } });
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  for (const { id, op } of operations()) {
    const codes = Object.keys(op.responses);
    assert.ok(
      codes.some((c) => c.startsWith('2')),
      `${id}: a success answer`,
    );
    if (id === 'GET /healthz') {
      assert.deepEqual(op.security, [], 'health is open');
      continue;
    }
    assert.ok(codes.includes('401'), `${id}: 401`);
    assert.equal(op.responses['401']!.headers?.['WWW-Authenticate']?.required, true, `${id}: 401 names its scheme`);
    if (op.requestBody || op.parameters) assert.ok(codes.includes('400'), `${id}: 400`);
    if (op.requestBody) assert.ok(codes.includes('413') && codes.includes('415'), `${id}: 413 and 415`);
    if (codes.includes('503'))
      assert.equal(op.responses['503']!.headers?.['Retry-After']?.required, true, `${id}: 503 carries Retry-After`);
    assert.ok(!codes.includes('500'), `${id}: a 500 is a bug, never a documented answer`);
  }
  const declares = (id: string, ...codes: string[]) => {
    assert.deepEqual(
      codes.filter((c) => !(c in operations().find((o) => o.id === id)!.op.responses)),
      [],
      id,
    );
  };
  declares('POST /v1/infer', '200', '404', '502', '503');
  declares('POST /v1/feedback', '202', '404', '422', '503');
  declares('PUT /v1/models/{modelId}/routes', '200', '403', '503');
  declares('GET /v1/models/{modelId}/routes', '404');
  declares('POST /v1/applications/{application}/predict', '404', '503');
});

test('the request schemas are the validating ones: limits and the NUL rule are stated', () => {
  const body = (id: string) =>
    (operations().find((o) => o.id === id)!.op.requestBody as { content: Record<string, { schema: any }> }).content;
  const infer = body('POST /v1/infer')['application/json']!.schema;
  assert.deepEqual(infer.required, ['modelId', 'input']);
  assert.equal(infer.additionalProperties, false);
  assert.equal(infer.properties.input.properties.text.maxLength, 10_000);
  assert.equal(infer.properties.input.properties.text.pattern, '^[^\\u0000]*$');
  const feedback = body('POST /v1/feedback')['application/json']!.schema;
  assert.equal(feedback.properties.requestId.format, 'uuid');
  assert.equal(feedback.properties.testPassRate.maximum, 1);
  assert.deepEqual(Object.keys(body('POST /v1/ci-events')).sort(), [
    'application/json',
    'application/sarif+json',
    'application/xml',
    'text/xml',
  ]);
});

const CHROMIUM = '/usr/bin/chromium';
// A developer machine without Chromium may skip; CI installs it (.ci/run), so there a missing browser must fail.
const skip =
  !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is missing (apt-get install chromium); set CI=1 to fail instead` : false;

test('/docs is served from the package without the token: its page and every asset it names are local', async () => {
  const page = await fetch(`${stack.router.url}/docs`);
  assert.equal(page.status, 200);
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(
    assets.some((a) => a.endsWith('swagger-ui-bundle.js')),
    'Swagger UI itself',
  );
  for (const asset of assets) {
    assert.doesNotMatch(asset, /^(https?:)?\/\//, `${asset}: nothing from a CDN`);
    assert.equal((await fetch(new URL(asset, `${stack.router.url}/docs`))).status, 200, asset);
  }
});

describe('/docs in Chromium, offline', { skip }, () => {
  let browser: Browser;
  after(async () => {
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    await (browser as typeof browser | undefined)?.close();
  });

  test('the reference page lists every operation and asks nothing of any other host', async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: CI must install it (.ci/run does)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext();
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(stack.router.url)) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    await page.goto(`${stack.router.url}/docs`, { waitUntil: 'networkidle' });
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    const listed = await page.locator('.opblock-summary-path').allInnerTexts();
    for (const { id } of operations()) {
      const path = id.split(' ')[1]!;
      assert.ok(
        listed.some((l) => l.replace(/\u200b/g, '') === path),
        `${path} is on the page (${listed.join(', ')})`,
      );
    }
    assert.deepEqual(elsewhere, [], 'no request left the router');
  });
});
