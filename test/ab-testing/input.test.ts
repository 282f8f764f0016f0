import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAbTestInput, plannedSnapshots } from '../../src/ab-testing/input.js';

const base = {
  modelId: 'reference',
  variantA: { version: 'v1', contextId: 'plain', contextVersion: 1 },
  variantB: { version: 'v1', contextId: 'with-examples', contextVersion: 3 },
};

test('defaults: 50/50 for 24 hours, a snapshot an hour, alpha 0.05, all four metrics', () => {
  const parsed = parseAbTestInput(base);
  assert.ok(parsed.ok);
  assert.deepEqual(
    { ...parsed.value, variantA: undefined, variantB: undefined },
    {
      modelId: 'reference',
      variantA: undefined,
      variantB: undefined,
      trafficSplit: 50,
      durationHours: 24,
      snapshotInterval: 3_600_000,
      alpha: 0.05,
    },
  );
  assert.equal(plannedSnapshots(parsed.value), 24);
  const custom = parseAbTestInput({ ...base, durationHours: 2, snapshotInterval: '15m', metrics: ['successRate'] });
  assert.ok(custom.ok && plannedSnapshots(custom.value) === 8);
});

test('bad input is named field by field', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...base, variantB: base.variantA }, /^variantB: must differ from variantA$/],
    [{ ...base, trafficSplit: 100 }, /^trafficSplit: /],
    [{ ...base, snapshotInterval: '2d' }, /^snapshotInterval: must not be longer than durationHours$/],
    [{ ...base, durationHours: 90 * 24, snapshotInterval: '1m' }, /^snapshotInterval: gives more than 2000 snapshots/],
    [{ ...base, metrics: ['memory'] }, /^metrics\[0\]: /],
    [{ ...base, variantA: { version: 'v1', contextId: 'plain' } }, /^variantA\.contextVersion: /],
    [{ ...base, extra: 1 }, /extra/],
  ];
  for (const [input, error] of cases) {
    const parsed = parseAbTestInput(input);
    assert.ok(!parsed.ok, JSON.stringify(input));
    assert.match(parsed.error, error);
  }
});
