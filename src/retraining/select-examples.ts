import type { Pool } from '../db/pool.js';
import { countQualifying, readQualifyingExamples, type QualifyingBounds } from '../db/qualifying-examples.js';
import { qualifyingCriteria } from './criteria.js';

export interface SelectedExample {
  requestId: string;
  version: string;
  /** The request's input text: what the model is trained on and what deduplication compares. */
  text: string;
  /** What the model answered, as the router stored it; the training label. */
  output: unknown;
  testPassRate: number;
  implementationVariance: number;
  /** pass rate − 0.5 × variance: the specs' quality score (the sample weight); it orders ties of pass rate. */
  qualityScore: number;
}

/** The specs' criteria: a model's requests of the last days with feedback above the pass rate and below the variance. */
const bounds = (modelId: string): QualifyingBounds => ({
  modelId,
  windowDays: qualifyingCriteria.windowDays,
  minPassRate: qualifyingCriteria.minPassRate,
  maxVariance: qualifyingCriteria.maxVariance,
});

/**
 * The best `limit` qualifying examples of a model in the specs' order, `ORDER BY test_pass_rate DESC`; of equal pass
 * rates (the text leaves ties open) the higher quality score, the more consistent one, then the newest first.
 */
export async function selectExamples(pool: Pool, input: { modelId: string; limit: number }): Promise<SelectedExample[]> {
  return readQualifyingExamples(pool, bounds(input.modelId), input.limit);
}

/** How many examples would qualify now: the data-threshold trigger's measure. */
export async function countQualifyingExamples(pool: Pool, modelId: string): Promise<number> {
  return countQualifying(pool, bounds(modelId));
}
