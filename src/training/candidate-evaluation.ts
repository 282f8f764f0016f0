import type { HeadWeights } from './head.js';
import type { HeldOutMetrics, HeldOutSet } from './held-out.js';
import { passRateImprovement } from './quality-gate.js';

export interface CandidateEvaluation {
  candidate: HeldOutMetrics;
  production: HeldOutMetrics;
  /** Candidate pass rate − production pass rate, what the quality gate decides on. */
  improvement: number;
}

/** Both versions on the same held-out canary set, checked by the task's own tests (HeldOutSet.evaluate). */
export async function evaluateAgainstProduction(opts: {
  candidate: HeadWeights;
  production: HeadWeights;
  canary: HeldOutSet;
  embeddings: readonly Float32Array[];
}): Promise<CandidateEvaluation> {
  const candidate = await opts.canary.evaluate(opts.candidate, opts.embeddings);
  const production = await opts.canary.evaluate(opts.production, opts.embeddings);
  return { candidate, production, improvement: passRateImprovement(candidate.passRate, production.passRate) };
}
