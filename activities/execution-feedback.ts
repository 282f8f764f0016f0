import { ApplicationFailure } from '@temporalio/activity';
import { readCiEvent } from '../src/db/ci-events.js';
import { CiEventError, processCiEvent, storeCiEvent, type CiEvent } from '../src/execution-feedback/ci-event-store.js';
import type { ImprovementType } from '../src/execution-feedback/ci-pipeline.js';
import { runDebuggingSession, type DebuggingSession } from '../src/execution-feedback/debug-session.js';
import type { ExecutionFeedback } from '../src/execution-feedback/feedback.js';
import type { ActivityDeps } from './deps.js';

export interface CiEventOutcome {
  eventId: string;
  contextId: string;
  fromVersion: number;
  toVersion: number;
  addedConstraints: string[];
  score: number | null;
  improvement: number | null;
  alreadyProcessed: boolean;
  /** One per failed stage (build, tests, quality gates, static analysis) and the constraint it went into. */
  improvements?: { type: ImprovementType; issues: string[]; constraintId: string | null }[];
  /** The event came with a stack trace: ciFeedback then runs its debugging step. */
  hasTrace?: boolean;
  /** What the debugging step did (set by the workflow). */
  debugging?: DebuggingOutcome;
}

export type DebuggingOutcome = Pick<DebuggingSession, 'outcome' | 'fixType' | 'confidence' | 'recurrences' | 'contextVersion'> & {
  signature: string;
  alreadyRun: boolean;
};

/** Activities of ciFeedback; each safe to run again after a crash or a retry. */
export function createExecutionFeedbackActivities({ pool, logger }: ActivityDeps) {
  const log = logger.child({ component: 'execution-feedback' });

  return {
    /** Stores a CI event once; a redelivery with the same event id reports `stored: false`. */
    async storeCiEvent(event: CiEvent): Promise<{ stored: boolean; status: string }> {
      return storeCiEvent(pool, event);
    },

    /** One learning step on the event's context, recorded with before/after; the second run returns the first's result. */
    async processCiEvent(input: { eventId: string }): Promise<CiEventOutcome> {
      try {
        const { update, improvements, hasTrace, alreadyProcessed } = await processCiEvent(pool, input.eventId);
        log.info(
          {
            eventId: input.eventId,
            contextId: update.contextId,
            toVersion: update.toVersion,
            improvements: improvements.map((i) => i.type),
            alreadyProcessed,
          },
          'context updated from CI event',
        );
        return {
          eventId: update.eventId,
          contextId: update.contextId,
          fromVersion: update.fromVersion,
          toVersion: update.toVersion,
          addedConstraints: update.addedConstraints,
          score: update.score,
          improvement: update.improvement,
          alreadyProcessed,
          improvements: improvements.map((i) => ({ type: i.type, issues: i.issues, constraintId: i.constraintId })),
          hasTrace,
        };
      } catch (err) {
        if (err instanceof CiEventError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidCiEvent');
        throw err;
      }
    },

    /**
     * ciFeedback's debugging step: the debugging session of an event that came with a stack trace (its fix learned,
     * or a recurrence charged and a fix recommended into the context). Retried, it returns the first session.
     */
    async debugCiFailure(input: { eventId: string }): Promise<DebuggingOutcome | null> {
      const event = await readCiEvent(pool, input.eventId);
      if (!event) throw ApplicationFailure.nonRetryable(`eventId: no stored CI event ${input.eventId}`, 'InvalidCiEvent');
      // Stored by storeCiEvent from a parsed event.
      const debugging = (event.feedback as ExecutionFeedback).debugging;
      if (!debugging) return null;
      const { session, alreadyRun } = await runDebuggingSession(pool, {
        sessionId: input.eventId,
        contextId: event.context_id,
        trace: debugging.trace,
        ...(debugging.fix && { fix: debugging.fix }),
      });
      log.info(
        { eventId: input.eventId, outcome: session.outcome, fixType: session.fixType, signature: session.signature.hash, alreadyRun },
        'debugging session',
      );
      return {
        outcome: session.outcome,
        fixType: session.fixType,
        confidence: session.confidence,
        recurrences: session.recurrences,
        contextVersion: session.contextVersion,
        signature: session.signature.hash,
        alreadyRun,
      };
    },
  };
}
