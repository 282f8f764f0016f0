import type pg from 'pg';
import type { Db } from './pool.js';

export interface ContextUpdateRow {
  event_id: string;
  context_id: string;
  from_version: number;
  to_version: number;
  before: unknown;
  after: unknown;
  gradient: unknown;
  added_constraints: string[];
  score: number | null;
  improvement: number | null;
  at: Date;
}

/** Stores one learning step; the event id is unique, so it lands once. */
export async function insertContextUpdate(
  c: pg.ClientBase,
  u: {
    eventId: string;
    contextId: string;
    fromVersion: number;
    toVersion: number;
    before: unknown;
    after: unknown;
    gradient: unknown;
    addedConstraints: string[];
    score: number | null;
    improvement: number | null;
  },
): Promise<void> {
  await c.query(
    `INSERT INTO context_updates (event_id, context_id, from_version, to_version, before, after, gradient, added_constraints, score, improvement)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      u.eventId,
      u.contextId,
      u.fromVersion,
      u.toVersion,
      JSON.stringify(u.before),
      JSON.stringify(u.after),
      JSON.stringify(u.gradient),
      JSON.stringify(u.addedConstraints),
      u.score,
      u.improvement,
    ],
  );
}

export async function readContextUpdateRow(db: Db, eventId: string): Promise<ContextUpdateRow | undefined> {
  const { rows } = await db.query<ContextUpdateRow>('SELECT * FROM context_updates WHERE event_id = $1', [eventId]);
  return rows[0];
}

/** A context's updates, oldest first. */
export async function readContextUpdateRows(db: Db, contextId: string): Promise<ContextUpdateRow[]> {
  const { rows } = await db.query<ContextUpdateRow>('SELECT * FROM context_updates WHERE context_id = $1 ORDER BY to_version', [contextId]);
  return rows;
}

/** The score of the context's latest scored update: what an event's improvement is measured against. */
export async function previousScore(c: pg.ClientBase, contextId: string): Promise<number | null> {
  const { rows } = await c.query<{ score: number }>(
    'SELECT score FROM context_updates WHERE context_id = $1 AND score IS NOT NULL ORDER BY to_version DESC LIMIT 1',
    [contextId],
  );
  return rows[0]?.score ?? null;
}
