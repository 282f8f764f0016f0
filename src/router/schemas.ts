import { z } from 'zod';
import { weightsSchema } from '../db/routing-weights.js';

export const inferBodySchema = z.strictObject({
  modelId: z.string().min(1),
  input: z.strictObject({ text: z.string().min(1).max(10_000) }),
  userKey: z.string().min(1).max(256).optional(),
});

export const feedbackBodySchema = z.strictObject({
  requestId: z.uuid(),
  testPassRate: z.number().min(0).max(1),
  implementationVariance: z.number().min(0),
  latencyMs: z.number().min(0).optional(),
  error: z.string().max(10_000).optional(),
});

export const routesBodySchema = z.strictObject({ weights: weightsSchema });

/** "input.text: Too small: expected string to have >=1 characters" — the first problem, naming the field. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`;
}
