/**
 * The specs' bar for a production request to become a training example. Both bounds are strict: a pass rate of
 * exactly 0.75, or a variance of exactly 0.04, does not qualify.
 */
export const qualifyingCriteria = {
  minPassRate: 0.75,
  maxVariance: 0.04,
  windowDays: 7,
} as const;

/** Examples one retraining run takes at most: an emergency (degradation) run takes twice as many. */
export function selectionLimit(emergency: boolean): number {
  return emergency ? 200 : 100;
}

/** Two examples whose sentence embeddings are at least this cosine-similar teach the model the same thing. */
export const DUPLICATE_SIMILARITY = 0.9;
