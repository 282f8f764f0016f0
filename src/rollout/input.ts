import { z } from 'zod';
import { durationSchema, parseDuration } from './duration.js';
import { sequentialConfigSchema } from './sequential.js';
import { thresholdsSchema } from './thresholds.js';
import { describeIssues, type Parsed } from './validation.js';

/** A stage holds its percent until its dwell is over (and its gate passes), or until `promote` for "manual". */
export interface Stage {
  percent: number;
  dwellMs: number | 'manual';
}

const dwellSchema = z.string().transform((text, ctx): number | 'manual' => {
  if (text === 'manual') return 'manual';
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be "manual" or a duration such as "6h", got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

const stageSchema = z.strictObject({
  percent: z.number().int().min(1).max(100),
  /** Required before the last stage; on the last (100%) stage a bake time before promotion, none by default. */
  dwell: dwellSchema.optional(),
});

const DEFAULT_STAGES = [{ percent: 10, dwell: '6h' }, { percent: 50, dwell: '12h' }, { percent: 100 }];

const stagesSchema = z
  .array(stageSchema)
  .min(1)
  .max(20)
  .superRefine((stages, ctx) => {
    stages.forEach((stage, i) => {
      const previous = stages[i - 1];
      if (previous !== undefined && stage.percent <= previous.percent) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'percent'],
          message: `must be greater than stages[${i - 1}].percent (${previous.percent})`,
        });
      }
      if (i < stages.length - 1 && stage.dwell === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'dwell'],
          message: 'required before the last stage: a duration such as "6h", or "manual"',
        });
      }
    });
    const last = stages.at(-1);
    if (last !== undefined && last.percent < 100) {
      ctx.addIssue({ code: 'custom', path: [stages.length - 1, 'percent'], message: `the last stage must be 100, got ${last.percent}` });
    }
  })
  .transform((stages): Stage[] => stages.map(({ percent, dwell }) => ({ percent, dwellMs: dwell ?? 0 })));

/** 3600000 → "1h", 300000 → "5m": a duration as an operator wrote it. */
const formatMs = (ms: number): string =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const nameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : undefined) })
  .trim()
  .min(1)
  .max(200);

export const rolloutInputSchema = z
  .strictObject({
    modelId: nameSchema,
    candidateVersion: nameSchema,
    /** The version the candidate is compared with and rolled back to; the workflow resolves production's when absent. */
    baselineVersion: nameSchema.optional(),
    stages: stagesSchema.prefault(DEFAULT_STAGES),
    checkInterval: durationSchema.pipe(z.number().min(1_000, 'must be at least 1s')).prefault('5m'),
    /**
     * What each check reads: the feedback of the last `checkWindow` (the specs' monitor_canary_health reads "recent
     * canary metrics (last hour)" every 5 minutes), not only the rows since the previous check. The sequential test
     * still folds in only the rows new since the previous check, so no row counts in it twice.
     */
    checkWindow: durationSchema.pipe(z.number().min(1_000, 'must be at least 1s')).prefault('1h'),
    /**
     * 100: at 100 rows a window's pass rate has a standard error of at most 0.05 (0.5/√100), and a model at 0.85
     * falls under the 0.70 floor by chance about once in 10^5 checks (Bernoulli, z ≈ 4.2), far under one per rollout.
     */
    minSamples: z.number().int().min(1).default(100),
    maxInconclusiveChecks: z.number().int().min(1).default(6),
    /** Failed checks tolerated before acting (Flagger's `threshold`); 0: the first failed check acts. */
    failureLimit: z.number().int().min(0).default(0),
    onFailure: z.enum(['rollback', 'pause']).default('rollback'),
    thresholds: thresholdsSchema.prefault({}),
    sequential: sequentialConfigSchema.prefault({}),
    webhooks: z
      .strictObject({
        /** Must answer 2xx before the first weight change. */
        preRollout: httpUrl.optional(),
        /** Must answer 2xx before the candidate goes to 100%. */
        confirmPromotion: httpUrl.optional(),
      })
      .prefault({}),
  })
  .superRefine((input, ctx) => {
    if (input.baselineVersion === input.candidateVersion) {
      ctx.addIssue({ code: 'custom', path: ['baselineVersion'], message: 'must differ from candidateVersion' });
    }
    // Shorter than the interval, rows between two windows would never be looked at by the absolute rules.
    if (input.checkWindow < input.checkInterval) {
      ctx.addIssue({
        code: 'custom',
        path: ['checkWindow'],
        message: `must be at least checkInterval (${formatMs(input.checkInterval)}), got ${formatMs(input.checkWindow)}: feedback between two windows would go unchecked`,
      });
    }
  })
  .transform(({ checkInterval, checkWindow, ...rest }) => ({ ...rest, checkIntervalMs: checkInterval, checkWindowMs: checkWindow }));

/** canaryRollout's input with every default filled in and every duration in milliseconds. */
export type RolloutInput = z.output<typeof rolloutInputSchema>;

/** The workflow's first step: the parsed input, or one line naming each bad field ("stages[1].percent: …"). */
export function parseRolloutInput(input: unknown): Parsed<RolloutInput> {
  const result = rolloutInputSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error, 'input') };
}
