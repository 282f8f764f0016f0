import type pg from 'pg';
import {
  insertCiEvent,
  insertCiImprovements,
  lockCiEvent,
  markCiEventFailed,
  markCiEventProcessed,
  readCiImprovements,
} from '../db/ci-events.js';
import { previousScore, insertContextUpdate } from '../db/context-updates.js';
import { insertContextVersion, lockContext } from '../db/contexts.js';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { applyImprovements, pipelineImprovements, type Improvement } from './ci-pipeline.js';
import { readContext, readContextUpdate, UnknownContextError, type ContextUpdateRecord } from './context-store.js';
import { updateContext } from './context-update.js';
import type { ExecutionFeedback } from './feedback.js';

export interface CiEvent {
  eventId: string;
  contextId: string;
  task: string;
  kind: 'junit' | 'sarif' | 'envelope';
  feedback: ExecutionFeedback;
}

/** Stores an event unless its id is known; `stored: false` means a redelivery, which changes nothing. */
export async function storeCiEvent(pool: Pool, e: CiEvent): Promise<{ stored: boolean; status: string }> {
  const { inserted, status } = await insertCiEvent(pool, e);
  return { stored: inserted, status };
}

/** An improvement record as stored: which constraint carries it. */
export interface StoredImprovement extends Improvement {
  constraintId: string | null;
}

export async function readImprovements(db: Pool | pg.ClientBase, eventId: string): Promise<StoredImprovement[]> {
  const rows = await readCiImprovements(db, eventId);
  return rows.map((r) => ({
    type: r.type as Improvement['type'],
    issues: r.issues,
    contextAdditions: r.context_additions,
    evidence: r.evidence,
    constraintId: r.constraint_id,
  }));
}

export class CiEventError extends Error {
  override readonly name = 'CiEventError';
}

export interface ProcessedCiEvent {
  update: ContextUpdateRecord;
  improvements: StoredImprovement[];
  /** The event came with a stack trace (a debugging session for ciFeedback's debugging step). */
  hasTrace: boolean;
  alreadyProcessed: boolean;
}

/** The context update a processed event stored (in the same transaction, so it is there). */
async function storedUpdate(c: Parameters<typeof readContextUpdate>[0], eventId: string): Promise<ContextUpdateRecord> {
  const update = await readContextUpdate(c, eventId);
  if (update === null) throw new Error(`context update of CI event ${eventId} is missing`);
  return update;
}

/**
 * Applies a stored event to its context: one learning step, the pipeline's improvement for each failed stage, a new
 * context version, the update and the improvements recorded, the event marked processed, all in one transaction.
 * Processing an event a second time returns the first result.
 */
export async function processCiEvent(pool: Pool, eventId: string): Promise<ProcessedCiEvent> {
  const outcome = await withTransaction(pool, async (c) => {
    const row = await lockCiEvent(c, eventId);
    if (!row) throw new CiEventError(`eventId: no stored CI event ${eventId}`);
    // Stored by storeCiEvent from a parsed event.
    const event = { ...row, feedback: row.feedback as ExecutionFeedback };
    const hasTrace = event.feedback.debugging !== undefined;
    if (event.status === 'processed') {
      return { update: await storedUpdate(c, eventId), improvements: await readImprovements(c, eventId), hasTrace, alreadyProcessed: true };
    }
    await lockContext(c, event.context_id);
    let current;
    try {
      current = await readContext(c, event.context_id);
    } catch (err) {
      if (err instanceof UnknownContextError) return { failed: err.message };
      throw err;
    }
    const step = updateContext(current.document, event.feedback, eventId);
    const improvements = pipelineImprovements(event.feedback);
    const applied = applyImprovements(step.after, improvements, event.feedback, eventId);
    const after = applied.document;
    const addedConstraints = [...new Set([...step.addedConstraints, ...applied.constraintIds.filter((id): id is string => id !== null)])];
    const before = await previousScore(c, event.context_id);
    const toVersion = current.version + 1;
    await insertContextVersion(c, event.context_id, toVersion, after, `ci-event ${eventId}`);
    const record = {
      eventId,
      contextId: event.context_id,
      fromVersion: current.version,
      toVersion,
      before: step.before,
      after,
      gradient: step.gradient,
      addedConstraints,
      score: step.score,
      improvement: step.score !== null && before !== null ? step.score - before : null,
    };
    await insertContextUpdate(c, record);
    await insertCiImprovements(
      c,
      eventId,
      improvements.map((i, position) => ({
        type: i.type,
        issues: i.issues,
        context_additions: i.contextAdditions,
        evidence: i.evidence,
        constraint_id: applied.constraintIds[position] ?? null,
      })),
    );
    await markCiEventProcessed(c, eventId);
    return { update: await storedUpdate(c, eventId), improvements: await readImprovements(c, eventId), hasTrace, alreadyProcessed: false };
  });
  if (outcome.failed !== undefined) {
    await markCiEventFailed(pool, eventId, outcome.failed);
    throw new CiEventError(outcome.failed);
  }
  return outcome;
}
