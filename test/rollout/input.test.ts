import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration } from '../../src/rollout/duration.js';
import { parseRolloutInput, type RolloutInput } from '../../src/rollout/input.js';

const minimal = { modelId: 'reference', candidateVersion: 'v2' };

function parsed(input: unknown): RolloutInput {
  const result = parseRolloutInput(input);
  if (!result.ok) assert.fail(result.error);
  return result.value;
}

function refused(input: unknown): string {
  const result = parseRolloutInput(input);
  if (result.ok) assert.fail('input should have been refused');
  return result.error;
}

describe('canaryRollout input', () => {
  test('a rollout started with only modelId and candidateVersion runs with the specs’ defaults', () => {
    assert.deepEqual(parsed(minimal), {
      modelId: 'reference',
      candidateVersion: 'v2',
      stages: [
        { percent: 10, dwellMs: 6 * 3_600_000 },
        { percent: 50, dwellMs: 12 * 3_600_000 },
        { percent: 100, dwellMs: 0 },
      ],
      checkIntervalMs: 5 * 60_000,
      checkWindowMs: 3_600_000,
      minSamples: 100,
      maxInconclusiveChecks: 6,
      failureLimit: 0,
      onFailure: 'rollback',
      thresholds: {
        minPassRate: 0.7,
        maxVariance: 0.05,
        maxErrorRate: 0.05,
        maxPassRateDrop: 0.02,
        maxVarianceRatio: 1.5,
        maxLatencyP95Ratio: 1.2,
      },
      sequential: { enabled: true, alpha: 0.05, mixingSd: 0.05 },
      webhooks: {},
    });
  });

  test('given thresholds replace only the defaults they name', () => {
    const { thresholds } = parsed({ ...minimal, thresholds: { minPassRate: 0.8, maxErrorRate: 0.01 } });
    assert.deepEqual(thresholds, {
      minPassRate: 0.8,
      maxVariance: 0.05,
      maxErrorRate: 0.01,
      maxPassRateDrop: 0.02,
      maxVarianceRatio: 1.5,
      maxLatencyP95Ratio: 1.2,
    });
  });

  test('custom stages with a manual pause, a bake time at 100% and every other option', () => {
    const input = parsed({
      ...minimal,
      baselineVersion: 'v1',
      stages: [
        { percent: 5, dwell: '30m' },
        { percent: 25, dwell: 'manual' },
        { percent: 100, dwell: '1h' },
      ],
      checkInterval: '30s',
      checkWindow: '10m',
      minSamples: 20,
      maxInconclusiveChecks: 3,
      failureLimit: 2,
      onFailure: 'pause',
      sequential: { enabled: false },
      webhooks: { preRollout: 'http://127.0.0.1:9000/pre', confirmPromotion: 'https://ci.example.com/confirm' },
    });
    assert.deepEqual(input.stages, [
      { percent: 5, dwellMs: 30 * 60_000 },
      { percent: 25, dwellMs: 'manual' },
      { percent: 100, dwellMs: 3_600_000 },
    ]);
    assert.equal(input.baselineVersion, 'v1');
    assert.equal(input.checkIntervalMs, 30_000);
    assert.equal(input.checkWindowMs, 600_000);
    assert.deepEqual([input.minSamples, input.maxInconclusiveChecks, input.failureLimit, input.onFailure], [20, 3, 2, 'pause']);
    assert.deepEqual(input.sequential, { enabled: false, alpha: 0.05, mixingSd: 0.05 });
    assert.deepEqual(input.webhooks, { preRollout: 'http://127.0.0.1:9000/pre', confirmPromotion: 'https://ci.example.com/confirm' });
  });

  test('durations take a number and one unit of ms, s, m, h or d', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    for (const bad of ['300', '-5m', '5 minutes', '1w', 'h', '', 'manual']) assert.equal(parseDuration(bad), undefined, bad);
  });

  const refusals: [string, unknown, string][] = [
    [
      'a stage not above the one before',
      { ...minimal, stages: [{ percent: 50, dwell: '1h' }, { percent: 50, dwell: '1h' }, { percent: 100 }] },
      'stages[1].percent: must be greater than stages[0].percent (50)',
    ],
    [
      'stages that stop short of 100%',
      { ...minimal, stages: [{ percent: 10, dwell: '1h' }, { percent: 50 }] },
      'stages[1].percent: the last stage must be 100, got 50',
    ],
    [
      'a stage before the last without a dwell',
      { ...minimal, stages: [{ percent: 10 }, { percent: 100 }] },
      'stages[0].dwell: required before the last stage: a duration such as "6h", or "manual"',
    ],
    [
      'a dwell that is not a duration',
      { ...minimal, stages: [{ percent: 10, dwell: 'soon' }, { percent: 100 }] },
      'stages[0].dwell: must be "manual" or a duration such as "6h", got "soon"',
    ],
    ['a percent over 100', { ...minimal, stages: [{ percent: 150 }] }, 'stages[0].percent: Too big: expected number to be <=100'],
    ['no stages at all', { ...minimal, stages: [] }, 'stages: Too small: expected array to have >=1 items'],
    [
      'a check interval without a unit',
      { ...minimal, checkInterval: '300' },
      'checkInterval: must be a duration such as "30s", "5m", "6h" or "1d", got "300"',
    ],
    ['a check interval under a second', { ...minimal, checkInterval: '10ms' }, 'checkInterval: must be at least 1s'],
    [
      'a check window shorter than the check interval',
      { ...minimal, checkInterval: '10m', checkWindow: '5m' },
      'checkWindow: must be at least checkInterval (10m), got 5m: feedback between two windows would go unchecked',
    ],
    [
      'a check interval longer than the default one-hour window',
      { ...minimal, checkInterval: '2h' },
      'checkWindow: must be at least checkInterval (2h), got 1h: feedback between two windows would go unchecked',
    ],
    [
      'a check window that is not a duration',
      { ...minimal, checkWindow: 'hour' },
      'checkWindow: must be a duration such as "30s", "5m", "6h" or "1d", got "hour"',
    ],
    [
      'a negative rate',
      { ...minimal, thresholds: { maxErrorRate: -0.1 } },
      'thresholds.maxErrorRate: Too small: expected number to be >=0',
    ],
    ['an unknown threshold', { ...minimal, thresholds: { maxPassRate: 0.9 } }, 'thresholds: Unrecognized key: "maxPassRate"'],
    ['a misspelt option', { ...minimal, stage: [] }, 'input: Unrecognized key: "stage"'],
    ['a missing modelId', { candidateVersion: 'v2' }, 'modelId: required'],
    [
      'a blank candidateVersion',
      { modelId: 'reference', candidateVersion: '  ' },
      'candidateVersion: Too small: expected string to have >=1 characters',
    ],
    ['a candidate compared with itself', { ...minimal, baselineVersion: 'v2' }, 'baselineVersion: must differ from candidateVersion'],
    [
      'a webhook that is not http(s)',
      { ...minimal, webhooks: { preRollout: 'ftp://ci/hook' } },
      'webhooks.preRollout: must be an http(s) URL',
    ],
    ['an alpha of 0', { ...minimal, sequential: { alpha: 0 } }, 'sequential.alpha: Too small: expected number to be >0'],
    ['a fractional failureLimit', { ...minimal, failureLimit: 1.5 }, 'failureLimit: Invalid input: expected int, received number'],
    ['an unknown onFailure', { ...minimal, onFailure: 'ignore' }, 'onFailure: Invalid option: expected one of "rollback"|"pause"'],
    ['input that is not an object', 'reference v2', 'input: Invalid input: expected object, received string'],
  ];
  for (const [what, input, error] of refusals) {
    test(`refuses ${what}, naming the field`, () => {
      assert.equal(refused(input), error);
    });
  }

  test('several bad fields are all named, on one line', () => {
    const error = refused({ ...minimal, minSamples: 0, thresholds: { minPassRate: 2 } });
    assert.equal(error, 'minSamples: Too small: expected number to be >=1; thresholds.minPassRate: Too big: expected number to be <=1');
  });
});
