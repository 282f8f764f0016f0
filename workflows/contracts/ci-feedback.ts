import { z } from 'zod';
import type { CiEventOutcome } from '../../activities/execution-feedback.js';
import { workflowType } from './workflow-type.js';

export const ciFeedbackInputSchema = z.strictObject({ eventId: z.string().min(1).max(200) });

/** Started with the event id as its workflow id (src/execution-feedback/ci-dispatch.ts): a redelivery runs it once. */
export const ciFeedback = workflowType<(rawInput: unknown) => Promise<CiEventOutcome>>('ciFeedback');

/** The debugging step was added after runs had been recorded without it; those replay without it. */
export const DEBUGGING_STEP_PATCH = 'ci-feedback-debugging-step';
