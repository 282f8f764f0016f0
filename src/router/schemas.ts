import { z } from 'zod';
import { variantRoutesSchema, weightsSchema } from '../db/routing-weights.js';

// PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps such a row from ever being accepted.
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000) characters');

export const inferBodySchema = z.strictObject({
  modelId: z.string().min(1).max(63),
  input: z.strictObject({ text: text(10_000) }),
  userKey: text(256).optional(),
});

export const feedbackBodySchema = z.strictObject({
  requestId: z.uuid(),
  testPassRate: z.number().min(0).max(1),
  implementationVariance: z.number().min(0),
  latencyMs: z.number().min(0).optional(),
  error: text(10_000).optional(),
});

/** Per-version weights, or variants: versions each with the context it is served with (an A/B test of contexts). */
export const routesBodySchema = z
  .strictObject({ weights: weightsSchema.optional(), routes: variantRoutesSchema.optional() })
  .refine((b) => (b.weights === undefined) !== (b.routes === undefined), {
    path: ['weights'],
    message: 'give either weights ({"v1": 90, "v2": 10}) or routes ([{"version", "contextId", "contextVersion", "percent"}])',
  });

/** "input.text: Too small: expected string to have >=1 characters": the first problem, naming the field. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  return `${path.length > 0 ? path.join('.') : 'body'}: ${issue.message}`;
}
