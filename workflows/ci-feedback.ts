import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { CiEventOutcome, createExecutionFeedbackActivities } from '../activities/execution-feedback.js';
import { activitiesOf } from './activity-proxy.js';
import { ciFeedbackInputSchema, DEBUGGING_STEP_PATCH } from './contracts/ci-feedback.js';

// The update is one transaction and idempotent, so retrying until the database is back is always safe.
const feedback = activitiesOf<typeof createExecutionFeedbackActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['InvalidCiEvent'] },
});

/**
 * ciFeedback: applies one stored CI event to the context that produced the code (its learning step and the
 * pipeline's improvement per failed stage), then, when the event came with a stack trace, runs the debugging
 * session on it. Started with the event id as its workflow id (see src/execution-feedback/ci-dispatch.ts), so a
 * redelivered webhook does not run it twice.
 */
export async function ciFeedback(rawInput: unknown): Promise<CiEventOutcome> {
  const parsed = ciFeedbackInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw ApplicationFailure.nonRetryable(
      `input.${issue?.path.join('.') || 'eventId'}: ${String(issue?.message)}`,
      'InvalidCiFeedbackInput',
    );
  }
  const outcome = await feedback.processCiEvent({ eventId: parsed.data.eventId });
  if (outcome.hasTrace && patched(DEBUGGING_STEP_PATCH)) {
    const debugging = await feedback.debugCiFailure({ eventId: parsed.data.eventId });
    if (debugging) return { ...outcome, debugging };
  }
  return outcome;
}
