import type { ContextDocument } from './context-document.js';

/**
 * How a context shapes a model's input before it is embedded. Examples are rewrite pairs: wherever a requirement says
 * an example's `input` phrase, the model reads its `output` phrase instead — the reference model's encoder only
 * sees text, so "showing it examples" means saying the input in the words the examples map it to. Phrases may hold
 * the phrasebook's placeholders: {e} / {es} / {E} match an entity word (singular, plural, capitalised) and {n} a
 * number, and the output gets what they matched. Then a non-empty template is filled: `{input}` is the rewritten
 * text, `{constraints}` the constraints' texts joined.
 *
 * The weights the context's learning built for its features (context-gradient.ts: w ← w + 0.01·m per CI event) are
 * read here: the specs' apply_feature_update emphasises a feature whose momentum is positive and reduces one whose
 * momentum is not, and a model reads what comes first as what matters, so constraints go heaviest first, and of
 * two example phrases of the same length the heavier one rewrites first. Features of equal weight (all of them in
 * a context that has learned nothing) keep the document's order.
 */
export function applyContext(text: string, context: ContextDocument | undefined): string {
  if (!context) return text;
  const { rules, constraints } = compiled(context);
  let out = text;
  for (const rule of rules) out = out.replace(rule.pattern, (...m) => fill(rule.output, rule.slots, m));
  if (context.template.includes('{input}')) {
    out = context.template.replaceAll('{constraints}', constraints).replaceAll('{input}', out);
  }
  return out;
}

/** The features heaviest first by the context's learned weights; equal weights keep their order (a stable sort). */
export function byLearnedWeight<T extends { id: string }>(features: readonly T[], context: ContextDocument): T[] {
  const weight = (f: T) => context.learning.weights[f.id] ?? 0;
  return [...features].sort((a, b) => weight(b) - weight(a));
}

type Slot = 'e' | 'n';
interface Rule {
  pattern: RegExp;
  output: string;
  /** Which value each capture group holds, in group order. */
  slots: Slot[];
}

interface Compiled {
  rules: Rule[];
  /** The constraints' texts, heaviest first, joined. */
  constraints: string;
}

const PLACEHOLDER = /\{(es|e|E|n)\}/g;
const compiledOf = new WeakMap<ContextDocument, Compiled>();

/** Compiled once per document: the router caches documents, so the same object comes back for every request. */
function compiled(context: ContextDocument): Compiled {
  let done = compiledOf.get(context);
  if (!done) {
    // Longer phrases first, so a phrase that contains another is rewritten whole; the heavier first at equal length.
    const examples = byLearnedWeight(context.examples, context).sort((a, b) => b.input.length - a.input.length);
    const rules = examples
      .filter((e) => e.input.trim() !== '')
      .map((e) => {
        const slots: Slot[] = [];
        let source = '';
        let last = 0;
        for (const m of e.input.matchAll(PLACEHOLDER)) {
          source += escape(e.input.slice(last, m.index));
          source += m[1] === 'n' ? '(\\d+)' : m[1] === 'es' ? '([A-Za-z]+?)s' : '([A-Za-z]+)';
          slots.push(m[1] === 'n' ? 'n' : 'e');
          last = m.index + m[0].length;
        }
        source += escape(e.input.slice(last));
        return { pattern: new RegExp(`\\b${source}\\b`, 'giu'), output: e.output, slots };
      });
    done = {
      rules,
      constraints: byLearnedWeight(context.constraints, context)
        .map((c) => c.text)
        .join(' '),
    };
    compiledOf.set(context, done);
  }
  return done;
}

function fill(output: string, slots: readonly Slot[], match: unknown[]): string {
  const value: Partial<Record<Slot, string>> = {};
  slots.forEach((slot, i) => (value[slot] ??= String(match[i + 1]).toLowerCase()));
  const e = value.e ?? 'item';
  return output.replace(PLACEHOLDER, (_, p: string) =>
    p === 'n' ? (value.n ?? 'a few') : p === 'es' ? `${e}s` : p === 'E' ? e.charAt(0).toUpperCase() + e.slice(1) : e,
  );
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
