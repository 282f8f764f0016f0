import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { defined } from '../platform/defined.js';

/**
 * A workflow's or an activity's input, parsed: bad input cannot get better by retrying, so it fails non-retryably,
 * naming the first bad field ("requestIds.0: Invalid UUID"). Safe in workflow code (no I/O).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, failureType: string, whole = 'input'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw ApplicationFailure.nonRetryable(`${issue.path.join('.') || whole}: ${issue.message}`, failureType);
  }
  return parsed.data;
}
