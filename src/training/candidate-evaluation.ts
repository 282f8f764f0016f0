import { evaluateHead, type HeldOutMetrics } from '../reference/evaluate.js';
import type { Requirement } from '../reference/task.js';
import type { HeadWeights } from './head.js';
import { passRateImprovement } from './quality-gate.js';

export interface CandidateEvaluation {
  candidate: HeldOutMetrics;
  production: HeldOutMetrics;
  /** Candidate pass rate − production pass rate, what the quality gate decides on. */
  improvement: number;
}

/** Both versions on the same held-out canary set, checked by the task's own tests (reference/evaluate.ts). */
export async function evaluateAgainstProduction(opts: {
  candidate: HeadWeights;
  production: HeadWeights;
  canary: readonly Requirement[];
  embeddings: readonly Float32Array[];
}): Promise<CandidateEvaluation> {
  const candidate = await evaluateHead(opts.candidate, opts.canary, opts.embeddings);
  const production = await evaluateHead(opts.production, opts.canary, opts.embeddings);
  return { candidate, production, improvement: passRateImprovement(candidate.passRate, production.passRate) };
}
