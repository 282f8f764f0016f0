import { z } from 'zod';

/**
 * One served request as the monitors see it: a row of `inference_requests` for the application (model_id) and
 * variant (version). `handled_error` is an error the requirements define (a 4xx the contract promises), `error`
 * one they do not (the application failed).
 */
export const requestOutcomeSchema = z.strictObject({
  requestId: z.string().min(1),
  application: z.string().min(1),
  variant: z.string().min(1),
  endpoint: z.string().min(1),
  input: z.unknown(),
  status: z.enum(['ok', 'handled_error', 'error']),
  output: z.unknown().optional(),
  error: z.string().optional(),
  latencyMs: z.number().min(0),
});

export type RequestOutcome = z.output<typeof requestOutcomeSchema>;

/** Outcomes of two variants answer "the same input" when their inputs serialise alike (keys in order). */
export function inputKey(outcome: Pick<RequestOutcome, 'endpoint' | 'input'>): string {
  return `${outcome.endpoint} ${canonicalJson(outcome.input)}`;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for undefined, functions and symbols; lib.d.ts types it as string
  return JSON.stringify(value) ?? 'null';
}
