import type { Pool } from '../db/pool.js';
import { countQualifying, readQualifyingExamples, type QualifyingBounds, type QualifyingExampleRow } from '../db/qualifying-examples.js';
import { qualifyingCriteria } from './criteria.js';

/** A qualifying example: its input text is what the model is trained on and what deduplication compares; its
 * output, as the router stored it, the training label; the quality score orders ties of pass rate. */
export type SelectedExample = QualifyingExampleRow;

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
