import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateDeployment, MONITOR_THRESHOLDS, type MonitorReading } from '../../src/learning/monitor.js';
import { document, outcome } from './fixtures.js';

const reading = (readings: MonitorReading[], type: MonitorReading['type']) => readings.find((r) => r.type === type)!;

describe('deployment monitor, each threshold at its boundary', () => {
  test('error rate: 1 in 100 (0.01) holds, 2 in 100 trips with the failing request ids', () => {
    const ok = Array.from({ length: 99 }, () => outcome());
    const failing = outcome({ status: 'error', error: 'boom' });
    const at = evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes: [...ok, failing] });
    assert.equal(reading(at.readings, 'error_rate').tripped, false);
    const second = outcome({ status: 'error', error: 'boom' });
    const over = evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes: [...ok.slice(1), failing, second] });
    assert.deepEqual(reading(over.readings, 'error_rate'), {
      type: 'error_rate',
      value: 0.02,
      threshold: MONITOR_THRESHOLDS.error_rate,
      tripped: true,
      offendingRequestIds: [failing.requestId, second.requestId],
      details: { [failing.requestId]: ['boom'], [second.requestId]: ['boom'] },
    });
  });

  test('handled errors (the contract promises them) do not count as errors', () => {
    const outcomes = Array.from({ length: 10 }, () => outcome({ status: 'handled_error', output: { error: 'X' } }));
    assert.equal(
      reading(evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes }).readings, 'error_rate').tripped,
      false,
    );
  });

  test('latency: p99 of exactly 1000 ms holds, above trips', () => {
    const at = Array.from({ length: 100 }, () => outcome({ latencyMs: 1000 }));
    assert.equal(
      reading(evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes: at }).readings, 'latency').tripped,
      false,
    );
    const over = [...Array.from({ length: 98 }, () => outcome()), outcome({ latencyMs: 1500 }), outcome({ latencyMs: 1500 })];
    const r = reading(evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes: over }).readings, 'latency');
    assert.equal(r.tripped, true);
    assert.equal(r.offendingRequestIds.length, 2);
  });

  test('one schema-violating output trips the contract monitor; compliance is the conforming share', () => {
    const bad = outcome({ output: { label: null } });
    const e = evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes: [outcome(), outcome(), outcome(), bad] });
    const r = reading(e.readings, 'contract_violation');
    assert.deepEqual([r.tripped, r.value, r.offendingRequestIds], [true, 1, [bad.requestId]]);
    assert.equal(e.metrics.apiCompliance, 0.75);
  });

  test('behavioral deviation: 5 of 100 differing from the baseline on the same input holds, 6 trips', () => {
    const inputs = Array.from({ length: 100 }, (_, i) => ({ text: `same ${i}` }));
    const baseline = inputs.map((input) => outcome({ input, output: { label: 'a' } }));
    const candidate = (differing: number) =>
      inputs.map((input, i) => outcome({ variant: 'v2', input, output: { label: i < differing ? 'b' : 'a' } }));
    const at = evaluateDeployment({ application: 'app', variant: 'v2', document, outcomes: candidate(5), baseline });
    assert.equal(reading(at.readings, 'behavioral_deviation').tripped, false);
    const over = evaluateDeployment({ application: 'app', variant: 'v2', document, outcomes: candidate(6), baseline });
    const r = reading(over.readings, 'behavioral_deviation');
    assert.deepEqual([r.tripped, r.value, r.offendingRequestIds.length], [true, 0.06, 6]);
    assert.deepEqual(Object.values(r.details)[0], ['label']);
  });

  test('the baseline variant has no deviation monitor', () => {
    const e = evaluateDeployment({ application: 'app', variant: 'v1', document, outcomes: [outcome()] });
    assert.equal(
      e.readings.some((r) => r.type === 'behavioral_deviation'),
      false,
    );
  });
});
