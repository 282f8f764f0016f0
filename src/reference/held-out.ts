import type { HeldOutSet } from '../training/held-out.js';
import { evaluateHead } from './evaluate.js';
import { generateRequirements } from './generator.js';
import type { Phrasing, Requirement } from './task.js';

/** Requirements as a held-out set: their texts, checked by the reference task's own tests (evaluateHead). */
export function heldOutSet(requirements: readonly Requirement[]): HeldOutSet {
  return { texts: requirements.map((r) => r.text), evaluate: (weights, embeddings) => evaluateHead(weights, requirements, embeddings) };
}

/** The held-out canary set a retraining names by seeds: reference requirements generated from each (none a training seed). */
export function canaryHeldOutSet(canary: readonly { phrasing: Phrasing; seed: number; count: number }[]): HeldOutSet {
  return heldOutSet(canary.flatMap((s) => generateRequirements({ seed: s.seed, count: s.count, phrasing: s.phrasing })));
}
