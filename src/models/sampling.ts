import { defined } from '../platform/defined.js';

/**
 * Draws outputs from a model's class probabilities at a temperature, as a generator samples completions:
 * weights p^(1/T), renormalised. T = 1 samples the model's own distribution, T < 1 sharpens it toward the top label
 * (T = 0: always the top label), T > 1 flattens it, so a weak model still sometimes produces a passing output.
 */
export function sampleLabels(opts: {
  probabilities: ArrayLike<number>;
  /** Label per probability, in the model's order. */
  labels: readonly string[];
  temperature: number;
  count: number;
  rand: () => number;
}): string[] {
  const { probabilities, labels, temperature, count, rand } = opts;
  if (probabilities.length !== labels.length || labels.length === 0) {
    throw new Error(`${probabilities.length} probabilities for ${labels.length} labels`);
  }
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a finite number ≥ 0, got ${temperature}`);
  const p = Array.from(probabilities);
  if (p.some((v) => !(v >= 0))) throw new Error('probabilities must be non-negative numbers');
  const top = p.indexOf(Math.max(...p));
  if (p[top] === 0) throw new Error('probabilities are all zero');
  if (temperature === 0) {
    const topLabel = defined(labels[top], 'the top label');
    return Array.from({ length: count }, () => topLabel);
  }
  // In log space, shifted by the top value, so small temperatures do not overflow.
  const logTop = Math.log(defined(p[top], 'the top probability'));
  const weights = p.map((v) => (v === 0 ? 0 : Math.exp((Math.log(v) - logTop) / temperature)));
  const total = weights.reduce((a, b) => a + b, 0);
  let last = weights.length - 1;
  while (weights[last] === 0) last--;
  return Array.from({ length: count }, () => {
    let r = rand() * total;
    for (const [i, weight] of weights.entries()) {
      r -= weight;
      if (r < 0) return defined(labels[i], `label ${i}`);
    }
    return defined(labels[last], `label ${last}`); // only reached through rounding when r lands on the total
  });
}
