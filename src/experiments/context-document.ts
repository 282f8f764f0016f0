import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1–128 letters, digits, . _ : -');

/** Which failure a constraint was added to prevent; 'general' for hand-written ones. */
export const featureKindSchema = z.enum(['general', 'compilation', 'tests', 'security']);
export type FeatureKind = z.infer<typeof featureKindSchema>;

/**
 * The context a model is given: a prompt template, worked examples and constraints (each a "feature" the learning
 * loop weighs), plus the learning state of the momentum update. Stored versioned in `contexts`.
 */
export const contextDocumentSchema = z.strictObject({
  template: z.string().max(20_000).default(''),
  examples: z.array(z.strictObject({ id, input: z.string().max(20_000), output: z.string().max(20_000) })).max(200).default([]),
  constraints: z
    .array(z.strictObject({ id, kind: featureKindSchema.default('general'), text: z.string().min(1).max(5_000), addedBy: z.string().optional() }))
    .max(200)
    .default([]),
  learning: z
    .strictObject({ weights: z.record(z.string(), z.number()), velocity: z.record(z.string(), z.number()) })
    .default({ weights: {}, velocity: {} }),
});
export type ContextDocument = z.output<typeof contextDocumentSchema>;

export interface ContextFeature {
  id: string;
  kind: FeatureKind;
}

/** Examples and constraints: the parts of a context whose contribution is learned one by one. */
export function contextFeatures(doc: ContextDocument): ContextFeature[] {
  return [...doc.examples.map((e) => ({ id: e.id, kind: 'general' as const })), ...doc.constraints.map((c) => ({ id: c.id, kind: c.kind }))];
}
