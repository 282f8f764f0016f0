import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Deliberately narrower than `ms` (which Temporal uses): a bare "300" there means 300 ms and "-5m" parses,
 * both easy operator mistakes in a rollout that runs for hours, so a unit is required and signs are refused.
 */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** "30s" → 30000; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

const DURATION_HINT = 'must be a duration such as "30s", "5m", "6h" or "1d"';

/** A duration string parsed to milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `${DURATION_HINT}, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});
