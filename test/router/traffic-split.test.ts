import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStubbedRouter, type StubbedRouter } from '../support/router.js';

// The model does not take part in the routing decision, so these 5,000 requests are answered by a Predictor
// double (see versionEchoPredictor); router, HTTP and PostgreSQL are real. The real reference model serves the
// other router tests.
let stack: StubbedRouter;
before(async () => {
  stack = await startStubbedRouter({ v1: 90, v2: 10 });
});
after(async () => {
  await stack.close();
});

test('the observed split is within two points of 10/90 over 5,000 requests, and every request is stored', async () => {
  const served: Record<string, number> = {};
  let sent = 0;
  const client = async () => {
    while (sent < 5_000) {
      sent++;
      const res = await fetch(`${stack.router.url}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modelId: 'm', input: { text: 'Send an HTTP callback for every shipment event' } }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { version: string; output: { label: string } };
      assert.equal(body.output.label, body.version, 'the chosen version answered');
      served[body.version] = (served[body.version] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  const total = (served.v1 ?? 0) + (served.v2 ?? 0);
  assert.equal(total, 5_000);
  const share = (100 * (served.v2 ?? 0)) / total;
  assert.ok(Math.abs(share - 10) <= 2, `v2 served ${share.toFixed(2)}%`);

  await stack.router.writer.drain();
  const { rows } = await stack.db.pool.query<{ version: string; n: number }>(
    `SELECT version, count(*)::int AS n FROM inference_requests WHERE model_id = 'm' GROUP BY version ORDER BY version`,
  );
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.version, r.n])), served);
});
