import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reliabilityScore, type DeploymentOutcome } from '../../src/learning/performance.js';

const perfect: DeploymentOutcome = { incidents: 0, errorRate: 0, apiCompliance: 1, behavioralAccuracy: 1 };

describe('performance tracker: reliability score', () => {
  test('the weighted formula: 0.3 incident + 0.25 error + 0.25 compliance + 0.2 accuracy', () => {
    // incidents 2.5 → incident score 0.5; error rate 0.2 → 0.8; compliance 0.6; accuracy 0.5.
    const r = reliabilityScore([{ incidents: 2.5, errorRate: 0.2, apiCompliance: 0.6, behavioralAccuracy: 0.5 }]);
    assert.equal(r.score.toFixed(4), (0.3 * 0.5 + 0.25 * 0.8 + 0.25 * 0.6 + 0.2 * 0.5).toFixed(4));
  });

  test('incident score saturates at 5 incidents per outcome', () => {
    assert.equal(reliabilityScore([{ ...perfect, incidents: 5 }]).incidentScore, 0);
    assert.equal(reliabilityScore([{ ...perfect, incidents: 50 }]).incidentScore, 0);
  });

  test('exactly 0.6 is not problematic; just under is', () => {
    // Only compliance and accuracy at 0: 0.3 + 0.25 = 0.55; add accuracy 0.25 → +0.05 = 0.6.
    const at = reliabilityScore([{ incidents: 0, errorRate: 0, apiCompliance: 0, behavioralAccuracy: 0.25 }]);
    assert.equal(at.score.toFixed(10), '0.6000000000');
    assert.equal(at.problematic, false);
    const under = reliabilityScore([{ incidents: 0, errorRate: 0, apiCompliance: 0, behavioralAccuracy: 0.24 }]);
    assert.equal(under.problematic, true);
  });

  test('only the last 10 outcomes count', () => {
    const old = Array.from({ length: 20 }, () => ({ ...perfect, incidents: 5, errorRate: 1, apiCompliance: 0, behavioralAccuracy: 0 }));
    const recent = Array.from({ length: 10 }, () => perfect);
    const r = reliabilityScore([...old, ...recent]);
    assert.deepEqual([r.score, r.outcomes], [1, 10]);
  });
});
