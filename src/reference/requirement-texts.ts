import { defined } from '../platform/defined.js';
import { generateRequirements } from './generator.js';

/**
 * `count` distinct requirement texts, alternating between the two phrasing families; the phrasebook makes many
 * near-duplicates among them, which is what deduplication's benches and tests need. The same count gives the same
 * list.
 */
export function distinctRequirementTexts(count: number): string[] {
  const seen = new Set<string>();
  for (let seed = 1; seen.size < count; seed++) {
    const standard = generateRequirements({ seed, count, phrasing: 'standard' });
    const drifted = generateRequirements({ seed, count, phrasing: 'drifted' });
    for (let i = 0; i < count && seen.size < count; i++)
      seen.add(defined(standard[i], `standard requirement ${i}`).text).add(defined(drifted[i], `drifted requirement ${i}`).text);
  }
  return [...seen].slice(0, count);
}
