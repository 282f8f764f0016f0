import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1–128 letters, digits, . _ : -');

/** Which failure a constraint was added to prevent; 'general' for hand-written ones. */
export const featureKindSchema = z.enum(['general', 'compilation', 'tests', 'security']);
export type FeatureKind = z.infer<typeof featureKindSchema>;

const scores = z.record(z.string(), z.number());

/**
 * Documents written before the specs' update (v ← 0.9·v + 0.01·g, w ← w + v, dimensions included) kept `velocity`.
 * Both updates decay by 0.9 per event, so the specs' momentum m ← 0.9·m + 0.1·g is exactly 10·v and the weight built
 * from it (w ← w + 0.01·m) exactly w/10; the per-dimension entries have no place in the specs' update and go.
 */
function fromVelocity(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('velocity' in raw) || 'momentum' in raw) return raw;
  const { weights, velocity } = raw as { weights?: unknown; velocity?: unknown };
  const features = (values: unknown, scale: number) =>
    typeof values === 'object' && values !== null
      ? Object.fromEntries(
          Object.entries(values as Record<string, unknown>)
            .filter(([key]) => !key.startsWith('dimension:'))
            .map(([key, v]) => [key, typeof v === 'number' ? v * scale : v]),
        )
      : values;
  return { weights: features(weights, 0.1), momentum: features(velocity, 10) };
}

/**
 * The context a model is given: a prompt template, worked examples and constraints (each a "feature" the learning
 * loop weighs), plus the learning state of the specs' ContextUpdateStrategy: each feature's momentum and the weight
 * the updates built from it, which orders the features when the model's input is built (context-input.ts). Stored
 * versioned in `contexts`.
 */
export const contextDocumentSchema = z.strictObject({
  template: z.string().max(20_000).default(''),
  examples: z
    .array(z.strictObject({ id, input: z.string().max(20_000), output: z.string().max(20_000) }))
    .max(200)
    .default([]),
  constraints: z
    .array(
      z.strictObject({
        id,
        kind: featureKindSchema.default('general'),
        text: z.string().min(1).max(5_000),
        addedBy: z.string().optional(),
      }),
    )
    .max(200)
    .default([]),
  learning: z.preprocess(fromVelocity, z.strictObject({ weights: scores, momentum: scores })).default({ weights: {}, momentum: {} }),
});
export type ContextDocument = z.output<typeof contextDocumentSchema>;

export interface ContextFeature {
  id: string;
  kind: FeatureKind;
}

/** Examples and constraints: the parts of a context whose contribution is learned one by one. */
export function contextFeatures(doc: ContextDocument): ContextFeature[] {
  return [
    ...doc.examples.map((e) => ({ id: e.id, kind: 'general' as const })),
    ...doc.constraints.map((c) => ({ id: c.id, kind: c.kind })),
  ];
}
