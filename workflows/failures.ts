import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Parsed } from '../src/rollout/validation.js';

/** A parsed workflow input, or the workflow fails at once: bad input cannot get better by retrying. */
export function acceptInput<T>(parsed: Parsed<T>, failureType: string): T {
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, failureType);
  return parsed.value;
}

/** What went wrong, in the activity's words when an activity failed rather than "Activity task failed". */
export const failureMessage = (err: unknown): string =>
  err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);

/**
 * Re-throws an activity's non-retryable refusal (a rollout already running, an unknown application) as the workflow's
 * own, so that the operator reads the refusal first in the Web UI and the CLI; anything else as it is.
 */
export function surfaceRefusal(err: unknown): never {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
  }
  throw err;
}
