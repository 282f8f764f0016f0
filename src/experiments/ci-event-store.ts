import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import {
  insertContextVersion, lockContext, previousScore, readContext, readContextUpdate, recordContextUpdate,
  UnknownContextError, type ContextUpdateRecord,
} from './context-store.js';
import { updateContext } from './context-update.js';
import type { ExecutionFeedback } from './execution-feedback.js';

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

export class CiEventError extends Error {
  override readonly name = 'CiEventError';
}

/**
 * Applies a stored event to its context: one learning step, a new context version, the update recorded, the event
 * marked processed, all in one transaction. Processing an event a second time returns the first result.
 */
export async function processCiEvent(pool: Pool, eventId: string): Promise<{ update: ContextUpdateRecord; alreadyProcessed: boolean }> {
  const outcome = await withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ context_id: string; status: string; feedback: ExecutionFeedback }>(
      'SELECT context_id, status, feedback FROM ci_events WHERE event_id = $1 FOR UPDATE',
      [eventId],
    );
    const event = rows[0];
    if (!event) throw new CiEventError(`eventId: no stored CI event ${eventId}`);
    if (event.status === 'processed') return { update: (await readContextUpdate(c, eventId))!, alreadyProcessed: true };
    await lockContext(c, event.context_id);
    let current;
    try {
      current = await readContext(c, event.context_id);
    } catch (err) {
      if (err instanceof UnknownContextError) return { failed: err.message };
      throw err;
    }
    const step = updateContext(current.document, event.feedback, eventId);
    const before = await previousScore(c, event.context_id);
    const toVersion = current.version + 1;
    await insertContextVersion(c, event.context_id, toVersion, step.after, `ci-event ${eventId}`);
    const record = {
      eventId, contextId: event.context_id, fromVersion: current.version, toVersion,
      before: step.before, after: step.after, gradient: step.gradient, addedConstraints: step.addedConstraints,
      score: step.score, improvement: step.score !== null && before !== null ? step.score - before : null,
    };
    await recordContextUpdate(c, record);
    await c.query(`UPDATE ci_events SET status = 'processed', processed_at = now() WHERE event_id = $1`, [eventId]);
    return { update: (await readContextUpdate(c, eventId))!, alreadyProcessed: false };
  });
  if ('failed' in outcome) {
    // The event stays stored, marked with why it could not be applied.
    await pool.query(`UPDATE ci_events SET status = 'failed', error = $2 WHERE event_id = $1`, [eventId, outcome.failed]);
    throw new CiEventError(outcome.failed);
  }
  return outcome;
}
