import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SelectedExample } from '../../src/retraining/select-examples.js';
import { labelledExamples } from '../../src/retraining/labelled-examples.js';

const selected = (output: unknown, qualityScore = 0.98): SelectedExample => ({
  requestId: '6f1c1a8e-4f56-4d38-9a8f-0d3f4c7e2b11',
  version: 'v1',
  text: 'Build an API to create and list invoices',
  output,
  testPassRate: 1,
  implementationVariance: 0.04,
  qualityScore,
});

test('a selected example trains on the label it was served, weighted by its quality score', () => {
  assert.deepEqual(labelledExamples([selected({ label: 'rest_crud', confidence: 0.7, probabilities: [] }, 0.98)]), [
    {
      requestId: '6f1c1a8e-4f56-4d38-9a8f-0d3f4c7e2b11',
      text: 'Build an API to create and list invoices',
      label: 'rest_crud',
      weight: 0.98,
    },
  ]);
});

test('an output without a label cannot be learned from and is refused with the request id', () => {
  assert.throws(() => labelledExamples([selected({ template: 'rest_crud' })]), /request 6f1c1a8e-.*: its output has no label to learn/);
  assert.throws(() => labelledExamples([selected(null)]), /no label to learn/);
});
