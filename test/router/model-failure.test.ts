import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Predictor } from '../../src/models/predictor.js';
import { startStubbedRouter, type StubbedRouter } from '../support/router.js';

// A model that fails: a Predictor double that throws, as a broken ONNX session would.
const failing: Predictor = {
  predict(_modelId, version) {
    return Promise.reject(new Error(`session for ${version} failed: Non-zero status code returned while running Gemm node`));
  },
};

let stack: StubbedRouter;
before(async () => {
  stack = await startStubbedRouter({ v1: 100 }, { predictor: failing });
});
after(async () => {
  await stack.close();
});

test("a model failure answers 502 (the model is the route's upstream) with the request id, is stored with its error and counted per version", async () => {
  const res = await fetch(`${stack.router.url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ modelId: 'm', input: { text: 'Index the orders table by customer' } }),
  });
  assert.equal(res.status, 502);
  const body = (await res.json()) as { requestId: string; version: string; error: string };
  assert.equal(body.version, 'v1');
  assert.match(body.error, /Gemm/);

  await stack.router.writer.drain();
  const { rows } = await stack.db.pool.query('SELECT version, output, error FROM inference_requests WHERE request_id = $1', [
    body.requestId,
  ]);
  assert.deepEqual(rows, [{ version: 'v1', output: null, error: body.error }]);
  const metrics = await (await fetch(`${stack.router.url}/metrics`)).text();
  assert.match(metrics, /learnloop_inference_requests_total\{model="m",version="v1",outcome="error"\} 1/);
});
