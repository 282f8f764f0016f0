import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { markExamplesUsed } from '../../src/retraining/mark-used.js';
import { countQualifyingExamples, selectExamples } from '../../src/retraining/select-examples.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { seedExample, seedModel } from '../support/retraining-seed.js';

let db: ThrowawayDatabase;
before(async () => {
  db = await throwawayDatabase();
  await seedModel(db.pool, 'm');
});
after(async () => db.drop());

test('selection keeps pass rate above 0.75 and variance below 0.04, from the last 7 days, not yet used, best first', async () => {
  const pool = db.pool;
  const ids = {
    best: await seedExample(pool, { passRate: 1, variance: 0 }), // 1.0
    passJustAbove: await seedExample(pool, { passRate: 0.76, variance: 0 }), // 0.76
    varianceJustBelow: await seedExample(pool, { passRate: 0.9, variance: 0.039 }), // 0.8805
    sixDaysOld: await seedExample(pool, { passRate: 0.95, variance: 0.01, age: '6 days 23 hours' }), // 0.945
    passAtBoundary: await seedExample(pool, { passRate: 0.75, variance: 0 }),
    passBelow: await seedExample(pool, { passRate: 0.5, variance: 0 }),
    varianceAtBoundary: await seedExample(pool, { passRate: 0.9, variance: 0.04 }),
    varianceAbove: await seedExample(pool, { passRate: 0.9, variance: 0.2 }),
    eightDaysOld: await seedExample(pool, { passRate: 1, variance: 0, age: '7 days 1 minute' }),
    alreadyUsed: await seedExample(pool, { passRate: 1, variance: 0 }),
    otherModel: await seedExample(pool, { modelId: 'other', passRate: 1, variance: 0 }),
    noFeedback: await seedExample(pool, {}),
    failedRequest: await seedExample(pool, { output: null, error: 'model failed', passRate: 1, variance: 0 }),
  };
  await markExamplesUsed(pool, { modelId: 'm', requestIds: [ids.alreadyUsed] });

  const selected = await selectExamples(pool, { modelId: 'm', limit: 100 });
  assert.deepEqual(
    selected.map((e) => e.requestId),
    [ids.best, ids.sixDaysOld, ids.varianceJustBelow, ids.passJustAbove],
    'exactly the qualifying rows, ordered by pass rate − 0.5 × variance',
  );
  const scores = selected.map((e) => e.qualityScore);
  const expected = [1, 0.95 - 0.005, 0.9 - 0.0195, 0.76];
  scores.forEach((s, i) => {
    assert.ok(Math.abs(s - expected[i]!) < 1e-6, `score ${s} ≈ ${String(expected[i])}`);
  });
  assert.deepEqual(selected[0], {
    requestId: ids.best,
    version: 'v1',
    text: `requirement ${ids.best}`,
    output: { template: 'rest-endpoint' },
    testPassRate: 1,
    implementationVariance: 0,
    qualityScore: 1,
  });
  assert.equal(await countQualifyingExamples(pool, 'm'), 4);
  assert.equal(await countQualifyingExamples(pool, 'nobody'), 0);
});

test('selection stops at the limit and takes the best examples', async () => {
  const pool = db.pool;
  await seedModel(pool, 'bulk');
  for (let i = 0; i < 30; i++) await seedExample(pool, { modelId: 'bulk', passRate: 0.8 + i / 200, variance: 0.01 });
  const top = await selectExamples(pool, { modelId: 'bulk', limit: 10 });
  assert.equal(top.length, 10);
  assert.ok(Math.abs(top[0]!.testPassRate - (0.8 + 29 / 200)) < 1e-6, 'the best pass rate comes first');
  assert.ok(Math.abs(top[9]!.testPassRate - (0.8 + 20 / 200)) < 1e-6, 'the tenth best is last');
  assert.equal(await countQualifyingExamples(pool, 'bulk'), 30, 'the count ignores the limit');
});

test("the specs' order: by test pass rate, the quality score only between equal pass rates", async () => {
  const pool = db.pool;
  await seedModel(pool, 'ordered');
  // quality 0.8805, 0.89 and 0.895: by quality score alone the 0.89 would come first.
  await seedExample(pool, { modelId: 'ordered', passRate: 0.9, variance: 0.039 });
  await seedExample(pool, { modelId: 'ordered', passRate: 0.89, variance: 0 });
  await seedExample(pool, { modelId: 'ordered', passRate: 0.9, variance: 0.01 });
  const order = (await selectExamples(pool, { modelId: 'ordered', limit: 3 })).map((e) => [
    Number(e.testPassRate.toFixed(3)),
    Number(e.implementationVariance.toFixed(3)),
  ]);
  assert.deepEqual(order, [
    [0.9, 0.01],
    [0.9, 0.039],
    [0.89, 0],
  ]);
});
