import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { lazyEmbedder } from '../src/models/lazy-embedder.js';
import { defined } from '../src/platform/defined.js';
import type { TextEmbedder } from '../src/models/embedding-cache.js';
import { selectionLimit } from '../src/retraining/criteria.js';
import { deduplicate, type DeduplicationResult } from '../src/retraining/deduplicate.js';
import { embedExamples } from '../src/retraining/embed-examples.js';
import { nearestUsedExamples } from '../src/retraining/embedding-store.js';
import { markExamplesUsed } from '../src/retraining/mark-used.js';
import { passRateWindows, type PassRateWindows } from '../src/retraining/pass-rate-windows.js';
import { countQualifyingExamples, selectExamples, type SelectedExample } from '../src/retraining/select-examples.js';
import { UnknownExamplesError } from '../src/retraining/unknown-examples.js';
import { activityLogger } from './activity-logger.js';
import type { ActivityDeps } from './deps.js';
import { parseInput } from '../src/temporal/parse-input.js';

const modelId = z.string().min(1);
const requestIds = z.array(z.uuid()).max(10_000);

export const selectExamplesInput = z.strictObject({
  modelId,
  emergency: z.boolean().default(false),
  /** Overrides the specs' 100 (200 for an emergency). */
  maxExamples: z.number().int().min(1).max(10_000).optional(),
});
export const deduplicateExamplesInput = z.strictObject({ modelId, requestIds });
export const markExamplesUsedInput = z.strictObject({ modelId, requestIds, trainingRunId: z.uuid().optional() });
export const countQualifyingExamplesInput = z.strictObject({ modelId });
export const passRateWindowsInput = z.strictObject({
  modelId,
  recentHours: z.number().positive().default(6),
  baselineDays: z.number().positive().default(7),
});

const parse = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> =>
  parseInput(schema, input, 'InvalidRetrainingInput', '(input)');

/** Ids that name no usable request stay wrong however often the activity is retried. */
async function failUnknownExamples<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnknownExamplesError) throw ApplicationFailure.nonRetryable(`requestIds: ${err.message}`, 'InvalidRetrainingInput');
    throw err;
  }
}

/**
 * Activities of retraining's data side: select production examples that passed their checks, drop near-duplicates
 * (through pgvector's HNSW index where the database has it, exactly otherwise), record what a run learned from,
 * and the measures behind the data-threshold and degradation triggers.
 * The sentence encoder is loaded on first use; tests may pass their own.
 */
export function createRetrainingDataActivities({ pool, logger, config }: ActivityDeps, options: { embedder?: TextEmbedder } = {}) {
  const getEmbedder = lazyEmbedder(config.home, logger, options.embedder);
  const heartbeat = (done: number, total: number) => {
    Context.current().heartbeat({ done, total });
  };
  const log = activityLogger(logger);

  return {
    /** The specs' selection, best first: 100 examples (200 for an emergency) unless maxExamples says otherwise. */
    async selectExamples(raw: z.input<typeof selectExamplesInput>): Promise<{ examples: SelectedExample[] }> {
      const input = parse(selectExamplesInput, raw);
      const limit = input.maxExamples ?? selectionLimit(input.emergency);
      const examples = await selectExamples(pool, { modelId: input.modelId, limit });
      log().info({ modelId: input.modelId, limit, selected: examples.length }, 'training examples selected');
      return { examples };
    },

    /**
     * Keeps, in the order given (best first), each example less than 0.9-similar to every example kept before it
     * and to every one the model has already learned from. Heartbeats while encoding.
     */
    async deduplicateExamples(raw: z.input<typeof deduplicateExamplesInput>): Promise<DeduplicationResult> {
      const input = parse(deduplicateExamplesInput, raw);
      const ids = [...new Set(input.requestIds)];
      const vectors = await failUnknownExamples(async () => embedExamples(pool, await getEmbedder(), ids, heartbeat));
      const nearest = await nearestUsedExamples(pool, input.modelId, vectors, { vectorIndex: config.vectorIndex, logger });
      const result = deduplicate(
        ids.map((requestId, i) => ({ requestId, embedding: defined(vectors[i], `embedding of ${requestId}`) })),
        nearest,
      );
      log().info(
        {
          modelId: input.modelId,
          candidates: ids.length,
          kept: result.kept.length,
          duplicatesOfUsed: result.dropped.filter((d) => d.against === 'used').length,
        },
        'training examples deduplicated',
      );
      return result;
    },

    /** Records the examples a run trained on; marking the same ones again changes nothing. */
    async markExamplesUsed(raw: z.input<typeof markExamplesUsedInput>): Promise<{ inserted: number; alreadyUsed: number }> {
      const input = parse(markExamplesUsedInput, raw);
      const result = await failUnknownExamples(async () => {
        // Every used example needs its embedding for later runs' dedup; normally deduplicateExamples stored it.
        await embedExamples(pool, await getEmbedder(), input.requestIds, heartbeat);
        return markExamplesUsed(pool, input).catch((err: unknown) => {
          const pgError = err as { code?: string; constraint?: string };
          if (pgError.code === '23503' && pgError.constraint === 'phase4_training_data_training_run_id_fkey') {
            throw ApplicationFailure.nonRetryable(
              `trainingRunId: no training run ${String(input.trainingRunId)}`,
              'InvalidRetrainingInput',
            );
          }
          throw err;
        });
      });
      log().info({ modelId: input.modelId, trainingRunId: input.trainingRunId, ...result }, 'training examples marked used');
      return result;
    },

    /** Qualifying examples not yet used, for the data-threshold trigger (≥ 100 starts a retraining). */
    async countQualifyingExamples(raw: z.input<typeof countQualifyingExamplesInput>): Promise<{ count: number }> {
      const input = parse(countQualifyingExamplesInput, raw);
      return { count: await countQualifyingExamples(pool, input.modelId) };
    },

    /** Pass rate of the last 6 hours and of the week before them, for checkDegradation. */
    async passRateWindows(raw: z.input<typeof passRateWindowsInput>): Promise<PassRateWindows> {
      return passRateWindows(pool, parse(passRateWindowsInput, raw));
    },
  };
}
