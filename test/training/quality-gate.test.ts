import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateRequirements } from '../../src/reference/generator.js';
import { seededRandom } from '../../src/training/random.js';
import { templateNames } from '../../src/reference/task.js';
import { heldOutSet } from '../../src/reference/held-out.js';
import { evaluateAgainstProduction } from '../../src/training/candidate-evaluation.js';
import { initialHead, type HeadWeights } from '../../src/training/head.js';
import { passRateImprovement, qualityGate } from '../../src/training/quality-gate.js';

test('a regular retrain deploys only on a strict improvement', () => {
  assert.equal(qualityGate({ candidatePassRate: 0.81, productionPassRate: 0.8, emergency: false }).deploy, true);
  const tie = qualityGate({ candidatePassRate: 0.8, productionPassRate: 0.8, emergency: false });
  assert.equal(tie.deploy, false);
  assert.equal(tie.improvement, 0);
  assert.match(tie.reason, /improvement 0\.0000 ≤ 0/);
  assert.equal(qualityGate({ candidatePassRate: 0.8004, productionPassRate: 0.8, emergency: false }).deploy, true);
  assert.equal(qualityGate({ candidatePassRate: 0.79, productionPassRate: 0.8, emergency: false }).deploy, false);
});

test('an emergency retrain may lose less than 0.02 but not 0.02', () => {
  // 0.81 − 0.83 is −0.019999999999999907 in floating point: exactly at the threshold, so rejected.
  const atThreshold = qualityGate({ candidatePassRate: 0.81, productionPassRate: 0.83, emergency: true });
  assert.equal(atThreshold.improvement, -0.02);
  assert.equal(atThreshold.deploy, false);
  assert.equal(qualityGate({ candidatePassRate: 0.5, productionPassRate: 0.52, emergency: true }).deploy, false);
  const justAbove = qualityGate({ candidatePassRate: 0.8101, productionPassRate: 0.83, emergency: true });
  assert.equal(justAbove.deploy, true);
  assert.equal(justAbove.threshold, -0.02);
  assert.match(justAbove.reason, /\(emergency\)/);
  assert.equal(qualityGate({ candidatePassRate: 0.8, productionPassRate: 0.8, emergency: true }).deploy, true);
  assert.equal(qualityGate({ candidatePassRate: 0.7, productionPassRate: 0.8, emergency: true }).deploy, false);
});

test('pass rates outside [0, 1] are refused', () => {
  assert.throws(() => passRateImprovement(1.2, 0.5), /candidate pass rate must be within \[0, 1\], got 1.2/);
  assert.throws(() => passRateImprovement(0.5, Number.NaN), /production pass rate/);
});

test('the improvement is measured on the canary set by the task checks: a head that always answers right beats one that never does', async () => {
  const canary = generateRequirements({ seed: 40, count: 60 });
  const labels = [...templateNames];
  // One-hot "embeddings" of the right template: a head with an identity (or shifted) kernel answers from them.
  const embeddings = canary.map((r) => Float32Array.from(labels, (l) => (l === r.template ? 1 : 0)));
  const head = (shift: number): HeadWeights => {
    const n = labels.length;
    const kernel = new Float32Array(n * n);
    for (let i = 0; i < n; i++) kernel[i * n + ((i + shift) % n)] = 10;
    return { labels, layers: [{ inputDim: n, outputDim: n, kernel, bias: new Float32Array(n) }] };
  };
  const result = await evaluateAgainstProduction({ candidate: head(0), production: head(1), canary: heldOutSet(canary), embeddings });
  assert.equal(result.candidate.passRate, 1);
  assert.equal(result.candidate.accuracy, 1);
  assert.equal(result.production.accuracy, 0);
  assert.ok(result.production.passRate < 1 && result.production.passRate >= 0);
  assert.equal(result.improvement, passRateImprovement(1, result.production.passRate));
  const random = initialHead({ inputDim: labels.length, hiddenUnits: [], labels, rand: seededRandom(1) });
  const reverse = await evaluateAgainstProduction({ candidate: random, production: head(0), canary: heldOutSet(canary), embeddings });
  assert.ok(reverse.improvement < 0);
  assert.equal(qualityGate({ candidatePassRate: reverse.candidate.passRate, productionPassRate: 1, emergency: true }).deploy, false);
});
