import type pg from 'pg';
import type { Db } from './pool.js';
import { defined } from '../platform/defined.js';

/** Stores an event unless its id is known; `inserted: false` means a redelivery, `status` is the stored row's. */
export async function insertCiEvent(
  db: Db,
  e: { eventId: string; contextId: string; task: string; kind: string; feedback: unknown },
): Promise<{ inserted: boolean; status: string }> {
  const { rows } = await db.query<{ inserted: boolean; status: string }>(
    `WITH ins AS (
       INSERT INTO ci_events (event_id, context_id, task, kind, feedback) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (event_id) DO NOTHING RETURNING status
     )
     SELECT true AS inserted, status FROM ins
     UNION ALL SELECT false, status FROM ci_events WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
    [e.eventId, e.contextId, e.task, e.kind, JSON.stringify(e.feedback)],
  );
  return defined(rows[0], 'ci_events row');
}

/** The event, locked until the caller's transaction ends; undefined when no such event is stored. */
export async function lockCiEvent(
  c: pg.ClientBase,
  eventId: string,
): Promise<{ context_id: string; status: string; feedback: unknown } | undefined> {
  const { rows } = await c.query<{ context_id: string; status: string; feedback: unknown }>(
    'SELECT context_id, status, feedback FROM ci_events WHERE event_id = $1 FOR UPDATE',
    [eventId],
  );
  return rows[0];
}

export async function readCiEvent(db: Db, eventId: string): Promise<{ context_id: string; feedback: unknown } | undefined> {
  const { rows } = await db.query<{ context_id: string; feedback: unknown }>(
    'SELECT context_id, feedback FROM ci_events WHERE event_id = $1',
    [eventId],
  );
  return rows[0];
}

export async function markCiEventProcessed(c: pg.ClientBase, eventId: string): Promise<void> {
  await c.query(`UPDATE ci_events SET status = 'processed', processed_at = now() WHERE event_id = $1`, [eventId]);
}

/** The event stays stored, with why it could not be applied. */
export async function markCiEventFailed(db: Db, eventId: string, error: string): Promise<void> {
  await db.query(`UPDATE ci_events SET status = 'failed', error = $2 WHERE event_id = $1`, [eventId, error]);
}

export interface CiImprovementRow {
  type: string;
  issues: string[];
  context_additions: Record<string, string>;
  evidence: string[];
  constraint_id: string | null;
}

/** One event's improvement records, stored at their positions. */
export async function insertCiImprovements(c: pg.ClientBase, eventId: string, improvements: readonly CiImprovementRow[]): Promise<void> {
  for (const [position, i] of improvements.entries()) {
    await c.query(
      `INSERT INTO ci_improvements (event_id, position, type, issues, context_additions, evidence, constraint_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        eventId,
        position,
        i.type,
        JSON.stringify(i.issues),
        JSON.stringify(i.context_additions),
        JSON.stringify(i.evidence),
        i.constraint_id,
      ],
    );
  }
}

export async function readCiImprovements(db: Db, eventId: string): Promise<CiImprovementRow[]> {
  const { rows } = await db.query<CiImprovementRow>(
    'SELECT type, issues, context_additions, evidence, constraint_id FROM ci_improvements WHERE event_id = $1 ORDER BY position',
    [eventId],
  );
  return rows;
}
