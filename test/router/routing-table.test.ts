import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, RoutingTable, bucketOf } from '../../src/router/routing-table.js';

test('a user key always lands in the same bucket, and keys spread evenly over the 10,000 buckets', () => {
  assert.equal(bucketOf('user-42'), bucketOf('user-42'));
  const perDecile = new Array<number>(10).fill(0);
  for (let i = 0; i < 20_000; i++) perDecile[Math.floor(bucketOf(`user-${i}`) / (BUCKETS / 10))]!++;
  // 2,000 expected per tenth; a binomial standard deviation is about 42.
  for (const n of perDecile) assert.ok(Math.abs(n - 2_000) < 250, `tenths: ${perDecile.join(',')}`);
});

test('buckets are laid over the versions in name order by cumulative weight', () => {
  const table = new RoutingTable();
  table.set('m', { v2: 90, v1: 10 });
  // v1 owns buckets 0..999, v2 1000..9999: find a key on each side of the boundary.
  const keyIn = (lo: number, hi: number) => {
    for (let i = 0; ; i++) if (bucketOf(`k${i}`) >= lo && bucketOf(`k${i}`) < hi) return `k${i}`;
  };
  assert.equal(table.choose('m', keyIn(0, 1_000))!.version, 'v1');
  assert.equal(table.choose('m', keyIn(1_000, 1_100))!.version, 'v2');
  assert.equal(table.choose('m', keyIn(9_900, 10_000))!.version, 'v2');
});

test('a sticky user keeps the version across unrelated weight updates of other models', () => {
  const table = new RoutingTable();
  table.set('m', { v1: 50, v2: 50 });
  const before = Array.from({ length: 200 }, (_, i) => table.choose('m', `u${i}`)!.version);
  table.set('other', { a: 100 });
  table.set('m', { v1: 50, v2: 50 });
  assert.deepEqual(
    Array.from({ length: 200 }, (_, i) => table.choose('m', `u${i}`)!.version),
    before,
  );
});

test('a version at 0 percent is never chosen, and an unknown model has no route', () => {
  const table = new RoutingTable();
  table.set('m', { v1: 0, v2: 100 });
  for (let i = 0; i < 2_000; i++) assert.equal(table.choose('m', i % 2 ? `u${i}` : undefined)!.version, 'v2');
  assert.equal(table.choose('nope'), undefined);
});

test('the table reports its weights and tells listeners about real changes only', () => {
  const table = new RoutingTable();
  const seen: string[] = [];
  table.onChange((modelId, w) => seen.push(`${modelId}:${JSON.stringify(w ?? null)}`));
  table.set('m', { v1: 70, v2: 30 });
  table.set('m', { v2: 30, v1: 70 });
  table.replaceAll(new Map([['n', { a: 100 }]]));
  assert.deepEqual(table.weights('n'), { a: 100 });
  assert.equal(table.weights('m'), undefined);
  assert.deepEqual(seen, ['m:{"v1":70,"v2":30}', 'm:null', 'n:{"a":100}']);
});
