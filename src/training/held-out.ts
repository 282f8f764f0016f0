import type { HeadWeights } from './head.js';

export interface HeldOutMetrics {
  examples: number;
  /** Share of examples for which the head's top label is the expected one. */
  accuracy: number;
  /** Mean testPassRate of the top label: what the checks report for the served outputs. */
  passRate: number;
  /** Mean implementationVariance of the top label. */
  variance: number;
}

/**
 * Held-out examples of the task a head is trained for, and the task's own check of a head's outputs on them. The
 * task provides it (src/reference/held-out.ts for the reference head): training knows heads, not what they answer.
 */
export interface HeldOutSet {
  texts: readonly string[];
  /** `embeddings` are the texts' embeddings, in their order. */
  evaluate(weights: HeadWeights, embeddings: readonly Float32Array[]): Promise<HeldOutMetrics>;
}
