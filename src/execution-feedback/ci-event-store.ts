import type pg from 'pg';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { applyImprovements, pipelineImprovements, type Improvement } from './ci-pipeline.js';
import {
  insertContextVersion, lockContext, previousScore, readContext, readContextUpdate, recordContextUpdate,
  UnknownContextError, type ContextUpdateRecord,
} from './context-store.js';
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
  const { rows } = await pool.query<{ inserted: boolean; status: string }>(
    `WITH ins AS (
       INSERT INTO ci_events (event_id, context_id, task, kind, feedback) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (event_id) DO NOTHING RETURNING status
     )
     SELECT true AS inserted, status FROM ins
     UNION ALL SELECT false, status FROM ci_events WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
    [e.eventId, e.contextId, e.task, e.kind, JSON.stringify(e.feedback)],
  );
  return { stored: rows[0]!.inserted, status: rows[0]!.status };
}

/** An improvement record as stored: which constraint carries it. */
export interface StoredImprovement extends Improvement {
  constraintId: string | null;
}

export async function readImprovements(db: Pool | pg.ClientBase, eventId: string): Promise<StoredImprovement[]> {
  const { rows } = await db.query<{ type: Improvement['type']; issues: string[]; context_additions: Record<string, string>; evidence: string[]; constraint_id: string | null }>(
    'SELECT type, issues, context_additions, evidence, constraint_id FROM ci_improvements WHERE event_id = $1 ORDER BY position',
    [eventId],
  );
  return rows.map((r) => ({ type: r.type, issues: r.issues, contextAdditions: r.context_additions, evidence: r.evidence, constraintId: r.constraint_id }));
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

/**
 * Applies a stored event to its context: one learning step, the pipeline's improvement for each failed stage, a new
 * context version, the update and the improvements recorded, the event marked processed, all in one transaction.
 * Processing an event a second time returns the first result.
 */
export async function processCiEvent(pool: Pool, eventId: string): Promise<ProcessedCiEvent> {
  const outcome = await withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ context_id: string; status: string; feedback: ExecutionFeedback }>(
      'SELECT context_id, status, feedback FROM ci_events WHERE event_id = $1 FOR UPDATE',
      [eventId],
    );
    const event = rows[0];
    if (!event) throw new CiEventError(`eventId: no stored CI event ${eventId}`);
    const hasTrace = event.feedback.debugging !== undefined;
    if (event.status === 'processed') {
      return { update: (await readContextUpdate(c, eventId))!, improvements: await readImprovements(c, eventId), hasTrace, alreadyProcessed: true };
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
      eventId, contextId: event.context_id, fromVersion: current.version, toVersion,
      before: step.before, after, gradient: step.gradient, addedConstraints,
      score: step.score, improvement: step.score !== null && before !== null ? step.score - before : null,
    };
    await recordContextUpdate(c, record);
    for (const [position, i] of improvements.entries()) {
      await c.query(
        `INSERT INTO ci_improvements (event_id, position, type, issues, context_additions, evidence, constraint_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [eventId, position, i.type, JSON.stringify(i.issues), JSON.stringify(i.contextAdditions), JSON.stringify(i.evidence), applied.constraintIds[position]],
      );
    }
    await c.query(`UPDATE ci_events SET status = 'processed', processed_at = now() WHERE event_id = $1`, [eventId]);
    return { update: (await readContextUpdate(c, eventId))!, improvements: await readImprovements(c, eventId), hasTrace, alreadyProcessed: false };
  });
  if ('failed' in outcome) {
    // The event stays stored, marked with why it could not be applied.
    await pool.query(`UPDATE ci_events SET status = 'failed', error = $2 WHERE event_id = $1`, [eventId, outcome.failed]);
    throw new CiEventError(outcome.failed);
  }
  return outcome;
}
