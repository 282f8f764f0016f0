import { z } from 'zod';
import type { ErrorSignature } from './error-signature.js';

export const fixTypeSchema = z.enum([
  'null-check',
  'input-validation',
  'bounds-check',
  'type-fix',
  'missing-import',
  'config-change',
  'retry-timeout',
  'logic-fix',
  'other',
]);
export type FixType = z.infer<typeof fixTypeSchema>;

/** A fixed error as reported: what failed, how it was fixed, and what changed in the context that wrote the code. */
export const fixReportSchema = z.strictObject({
  caseId: z.string().min(1).max(200),
  fixType: fixTypeSchema,
  /** The change made to the generating context, e.g. a constraint added; free JSON. */
  contextChange: z.record(z.string(), z.unknown()),
});
export type FixReport = z.infer<typeof fixReportSchema>;

export interface DebugPattern {
  signature: ErrorSignature;
  fixType: FixType;
  contextChange: Record<string, unknown>;
  /** Cases (fixed errors) this pattern was learned from. */
  cases: string[];
  /** Times this fix was applied, and times the same signature came back after it. */
  applied: number;
  recurred: number;
}

export interface FixRecommendation {
  pattern: DebugPattern;
  /** How sure the pattern applies: signature similarity × evidence n/(n + evidencePrior). */
  confidence: number;
  /** Laplace-smoothed share of applications after which the error did not recur. */
  effectiveness: number;
  score: number;
  supportingCases: string[];
}

/** Recommendations are made only above this confidence (the specs' line). */
export const minimumConfidence = 0.7;
/**
 * Shrinks confidence for patterns learned from few cases: one exactly matching case gives 1/1.3 ≈ 0.77, enough to
 * recommend; a pattern from the same place with a different message (similarity 0.8) needs three cases (0.73).
 */
export const evidencePrior = 0.3;

/** Learns from one fixed error: a new pattern, or one more supporting case for the pattern with that signature and fix. */
export function learnPattern(existing: DebugPattern | undefined, signature: ErrorSignature, fix: FixReport): DebugPattern {
  if (!existing) return { signature, fixType: fix.fixType, contextChange: fix.contextChange, cases: [fix.caseId], applied: 1, recurred: 0 };
  // A redelivered report of the same case teaches nothing new.
  if (existing.cases.includes(fix.caseId)) return existing;
  return { ...existing, contextChange: fix.contextChange, cases: [...existing.cases, fix.caseId], applied: existing.applied + 1 };
}

/** The signature came back after these fixes were applied: each counts one recurrence (never more than applied). */
export function recordRecurrence(pattern: DebugPattern): DebugPattern {
  return { ...pattern, recurred: Math.min(pattern.applied, pattern.recurred + 1) };
}

export function effectiveness(p: DebugPattern): number {
  return (p.applied - p.recurred + 1) / (p.applied + 2);
}

/**
 * 1 for the same signature; the same error type at the same place with a different message 0.8; the same type
 * elsewhere 0.5; otherwise the pattern is not about this error.
 */
export function similarity(a: ErrorSignature, b: ErrorSignature): number {
  if (a.language !== b.language || a.type !== b.type) return 0;
  if (a.hash === b.hash) return 1;
  return a.location === b.location ? 0.8 : 0.5;
}

/** The best pattern for an error by confidence × effectiveness, if one is confident enough. */
export function recommendFix(patterns: readonly DebugPattern[], signature: ErrorSignature): FixRecommendation | null {
  let best: FixRecommendation | null = null;
  for (const pattern of patterns) {
    const n = pattern.cases.length;
    const confidence = similarity(pattern.signature, signature) * (n / (n + evidencePrior));
    if (confidence <= minimumConfidence) continue;
    const eff = effectiveness(pattern);
    const score = confidence * eff;
    if (!best || score > best.score) best = { pattern, confidence, effectiveness: eff, score, supportingCases: pattern.cases };
  }
  return best;
}
