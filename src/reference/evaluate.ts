import { defined } from '../platform/defined.js';
import { argmax, predictHead, type HeadWeights } from '../training/head.js';
import type { HeldOutMetrics } from '../training/held-out.js';
import { checkOutput, type Requirement } from './task.js';

/** Runs the head on embedded requirements and checks its top output for each, as the router would serve it. */
export async function evaluateHead(
  weights: HeadWeights,
  requirements: readonly Requirement[],
  embeddings: readonly Float32Array[],
): Promise<HeldOutMetrics> {
  if (requirements.length === 0 || requirements.length !== embeddings.length) {
    throw new Error(`cannot evaluate ${requirements.length} requirements with ${embeddings.length} embeddings`);
  }
  const probabilities = await predictHead(weights, embeddings);
  let correct = 0;
  let passRate = 0;
  let variance = 0;
  probabilities.forEach((p, i) => {
    const requirement = defined(requirements[i], `requirement ${i}`);
    const label = defined(weights.labels[argmax(p)], `the label of requirement ${i}'s top output`);
    const check = checkOutput(requirement, label);
    if (label === requirement.template) correct++;
    passRate += check.testPassRate;
    variance += check.implementationVariance;
  });
  const n = requirements.length;
  return { examples: n, accuracy: correct / n, passRate: passRate / n, variance: variance / n };
}
