import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionMetricsSchema } from '../../src/rollout/metrics.js';
import { metricsFor } from '../../bench/support/rollout-traffic.js';

test('version metrics from the database are checked before a rollout decides on them', () => {
  assert.deepEqual(versionMetricsSchema.parse(metricsFor('v2')), metricsFor('v2'));
  assert.deepEqual(versionMetricsSchema.parse(metricsFor('v2', { samples: 0, passRate: 0, latencyP95Ms: null })).latencyP95Ms, null);
  for (const bad of [{ passRate: 1.2 }, { samples: 2.5 }, { errorRate: -0.1 }, { passRateSumSq: -1 }]) {
    assert.equal(versionMetricsSchema.safeParse(metricsFor('v2', bad)).success, false, JSON.stringify(bad));
  }
});
