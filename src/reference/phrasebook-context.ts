import { contextDocumentSchema, type ContextDocument } from '../models/context-document.js';
import { defined } from '../platform/defined.js';
import { phrasebook } from './phrasebook.js';
import type { Feature, Phrasing } from './task.js';

/**
 * A context that maps how `from` users say each need onto how `to` users say it (each `from` fragment → the first
 * `to` fragment of the same feature): for a model trained on standard phrasing, the context that lets it read
 * drifted requirements. Its examples are rewrite pairs in the sense of src/models/context-input.ts.
 */
export function phrasebookContext(from: Phrasing = 'drifted', to: Phrasing = 'standard'): ContextDocument {
  const source = phrasebook[from].fragments;
  const target = phrasebook[to].fragments;
  const examples = (Object.keys(source) as Feature[]).flatMap((feature) =>
    source[feature].map((input, i) => ({
      id: `${feature}.${i}`,
      input,
      output: defined(target[feature][0], `the ${to} phrasing's first fragment for ${feature}`),
    })),
  );
  return contextDocumentSchema.parse({ examples });
}
