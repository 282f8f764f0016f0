import { createHash } from 'node:crypto';
import { defined } from '../../platform/defined.js';
import { inputTraits } from '../input-traits.js';
import type { RequestOutcome } from '../outcomes.js';
import { findEndpoint, type RequirementsDocument } from '../requirements.js';

/**
 * A simulated application: what its implementation computes, and where that implementation is naive. Every naive
 * spot is a place where an incomplete requirements document left the implementer guessing; `serve` follows the
 * document wherever it says something, so a refined document really changes what the application answers.
 */
export interface SimulatedApplication {
  id: string;
  endpoint: string;
  /** variants[0] is the baseline the others are compared with. */
  variants: readonly [string, ...string[]];
  /**
   * The core computation, per variant (variants are separate implementations and may simply be wrong); fields it
   * cannot determine come back null. Dates as Date, rendered per the schema.
   */
  compute(input: Record<string, unknown>, variant: string): Record<string, unknown>;
  /** Input traits the naive implementation throws on, with the error it throws. */
  crashesOn: Readonly<Record<string, string>>;
  /** Output fields the implementation cannot determine when an input has the trait (it answers null). */
  undeterminedOn: Readonly<Record<string, readonly string[]>>;
  /** Processing cost: ms per character of this input field, on top of a base latency. */
  costPerChar: { field: string; ms: number };
  /** Builds one request input of the traffic mix from a uniform draw. */
  input(rand: () => number): Record<string, unknown>;
  initialRequirements: RequirementsDocument;
}

const BASE_LATENCY_MS = 30;
const HANDLED_LATENCY_MS = 5;

/** Each variant writes a date its own way unless the response schema pins the format. */
const DATE_RENDERINGS: readonly ((d: Date) => string)[] = [
  (d) => d.toISOString().slice(0, 10),
  (d) => `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}`,
  (d) => d.toUTCString().slice(5, 16),
];

export function serve(
  app: SimulatedApplication,
  doc: RequirementsDocument,
  variant: string,
  requestId: string,
  input: Record<string, unknown>,
): RequestOutcome {
  const base = { requestId, application: app.id, variant, endpoint: app.endpoint, input };
  const jitter = hashUnit(requestId) * 30;
  const traits = inputTraits(input);
  const endpoint = findEndpoint(doc, app.endpoint);
  if (!endpoint) return { ...base, status: 'error', error: `no implementation for ${app.endpoint}`, latencyMs: HANDLED_LATENCY_MS };

  for (const c of doc.constraints) {
    const value = input[c.field];
    if (c.kind === 'max_length' && typeof value === 'string' && value.length > c.value) {
      const rule = doc.error_handling.find((r) => r.condition === `${c.field}:long`);
      return {
        ...base,
        status: 'handled_error',
        output: { error: rule?.code ?? 'INPUT_TOO_LONG' },
        latencyMs: HANDLED_LATENCY_MS + jitter / 10,
      };
    }
  }
  for (const trait of traits) {
    const rule = doc.error_handling.find((r) => r.condition === trait);
    if (rule) return { ...base, status: 'handled_error', output: { error: rule.code }, latencyMs: HANDLED_LATENCY_MS + jitter / 10 };
  }
  for (const trait of traits) {
    const crash = app.crashesOn[trait];
    if (crash) return { ...base, status: 'error', error: crash, latencyMs: BASE_LATENCY_MS + jitter };
  }

  const cost = input[app.costPerChar.field];
  const latencyMs = BASE_LATENCY_MS + jitter + (typeof cost === 'string' ? cost.length * app.costPerChar.ms : 0);
  const computed = app.compute(input, variant);
  for (const trait of traits) {
    const fallback = doc.edge_case_specifications.find((e) => e.condition === trait)?.fallback;
    for (const field of app.undeterminedOn[trait] ?? []) computed[field] = fallback && field in fallback ? fallback[field] : null;
  }
  const properties = (endpoint.response_schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const variantIndex = Math.max(0, app.variants.indexOf(variant));
  const output = Object.fromEntries(
    Object.entries(computed).map(([field, value]) => {
      if (!(value instanceof Date)) return [field, value];
      const index = properties[field]?.format === 'date' ? 0 : variantIndex % DATE_RENDERINGS.length;
      const render = defined(DATE_RENDERINGS[index], `date rendering ${index}`);
      return [field, render(value)];
    }),
  );
  return { ...base, status: 'ok', output, latencyMs };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A stable draw in [0, 1) from an id, so a request served twice (a retried activity) answers the same. */
export function hashUnit(id: string): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) / 2 ** 32;
}

/** A deterministic uuid (sha1 of the name, version-5 layout) for request ids that a retry regenerates identically. */
export function nameUuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
