import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleWeight, trainingDecision, type TrainingSample } from '../../src/learning/feedback-trainer.js';

const sample = (weight = 1): TrainingSample => ({
  application: 'app',
  fromVersion: 1,
  toVersion: 2,
  improvementKey: 'k',
  input: '{}',
  output: '',
  completenessGain: 0,
  clarityGain: 0,
  incidentsAddressed: 0,
  weight,
});

describe('feedback trainer', () => {
  test('weight = 1 + completeness gain + clarity gain + 0.1 · incidents, capped at 5', () => {
    assert.equal(sampleWeight(0.2, 0.3, 5).toFixed(10), (2).toFixed(10));
    assert.equal(sampleWeight(0, 0, 40), 5);
    assert.equal(sampleWeight(1, 1, 30), 5);
    assert.equal(sampleWeight(0, 0, 0), 1);
  });

  test('9 samples are "not enough samples"; 10 start training with their summed weight', () => {
    assert.deepEqual(
      trainingDecision(
        Array.from({ length: 9 }, () => sample()),
        true,
      ),
      { start: false, samples: 9, reason: 'not enough samples' },
    );
    assert.deepEqual(
      trainingDecision(
        Array.from({ length: 10 }, () => sample(2)),
        true,
      ),
      { start: true, samples: 10, totalWeight: 20 },
    );
  });

  test('with autoTrain off, enough samples are recorded but not trained on', () => {
    assert.deepEqual(
      trainingDecision(
        Array.from({ length: 10 }, () => sample()),
        false,
      ),
      { start: false, samples: 10, reason: 'auto-train off' },
    );
  });
});
