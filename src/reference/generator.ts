import { defined } from '../platform/defined.js';
import { entities, numbers, phrasebook } from './phrasebook.js';
import { pick, seededRandom, shuffled } from '../training/random.js';
import { distinctiveFeatures, templateNames, templates, type Feature, type Phrasing, type Requirement, type TemplateName } from './task.js';

export interface GenerateOptions {
  seed: number;
  count: number;
  phrasing?: Phrasing;
}

/**
 * Requirements drawn uniformly over the templates. Each needs a random subset (at least two features when the
 * template has them) of its template's features, always one only that template provides, and says each need with a
 * fragment from the phrasing family, in random order, about a random entity. The same seed gives the same list;
 * needs and wording come from separate streams, so one seed in two phrasings gives the same needs said two ways.
 */
export function generateRequirements({ seed, count, phrasing = 'standard' }: GenerateOptions): Requirement[] {
  const needsRand = seededRandom(seed);
  const wordingRand = seededRandom(seed ^ 0x5bd1e995);
  return Array.from({ length: count }, () => {
    const template = pick(needsRand, templateNames);
    const needs = pickNeeds(template, needsRand);
    return { text: describe(needs, phrasing, wordingRand), template, needs, phrasing };
  });
}

function pickNeeds(template: TemplateName, rand: () => number): Feature[] {
  const features: readonly Feature[] = templates[template];
  const anchor = pick(rand, distinctiveFeatures(template));
  const size = Math.min(features.length, 2 + Math.floor(rand() * (features.length - 1)));
  const others = shuffled(
    features.filter((f) => f !== anchor),
    rand,
  ).slice(0, size - 1);
  // Needs keep the template's feature order, so equal sets compare equal.
  return features.filter((f) => f === anchor || others.includes(f));
}

function describe(needs: readonly Feature[], phrasing: Phrasing, rand: () => number): string {
  const family = phrasebook[phrasing];
  const entity = pick(rand, entities);
  const parts = shuffled(needs, rand).map((f) => pick(rand, family.fragments[f]).replaceAll('{n}', () => String(pick(rand, numbers))));
  const joined =
    parts.length === 1
      ? defined(parts[0], 'the only need fragment')
      : `${parts.slice(0, -1).join(family.separator)}${pick(rand, family.finalSeparators)}${defined(parts.at(-1), 'the last need fragment')}`;
  return pick(rand, family.frames)
    .replace('{needs}', joined)
    .replace(/\ba \{e\}/g, `${/^[aeiou]/.test(entity) ? 'an' : 'a'} {e}`)
    .replaceAll('{es}', `${entity}s`)
    .replaceAll('{e}', entity)
    .replaceAll('{E}', entity.charAt(0).toUpperCase() + entity.slice(1));
}
