import type pg from 'pg';
import type { Pool } from '../db/pool.js';
import { contextDocumentSchema, type ContextDocument } from '../models/context-document.js';

export interface StoredContext {
  contextId: string;
  version: number;
  document: ContextDocument;
}

export class UnknownContextError extends Error {
  override readonly name = 'UnknownContextError';
  constructor(readonly contextId: string, version?: number) {
    super(`contextId: unknown context ${contextId}${version !== undefined ? ` version ${version}` : ''}`);
  }
}

/** Version 1 of a new context; creating one that exists with the same document is a no-op (a retried create). */
export async function createContext(pool: Pool, contextId: string, document: unknown, createdBy: string): Promise<StoredContext> {
  const doc = contextDocumentSchema.parse(document);
  await pool.query(
    `INSERT INTO contexts (context_id, version, document, created_by) VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING`,
    [contextId, JSON.stringify(doc), createdBy],
  );
  return readContext(pool, contextId, 1);
}

/** The latest version, or the one named. */
export async function readContext(db: Pool | pg.ClientBase, contextId: string, version?: number): Promise<StoredContext> {
  const { rows } = await db.query<{ version: number; document: unknown }>(
    `SELECT version, document FROM contexts WHERE context_id = $1 AND ($2::int IS NULL OR version = $2)
     ORDER BY version DESC LIMIT 1`,
    [contextId, version ?? null],
  );
  if (!rows[0]) throw new UnknownContextError(contextId, version);
  return { contextId, version: rows[0].version, document: contextDocumentSchema.parse(rows[0].document) };
}

export async function contextExists(db: Pool | pg.ClientBase, contextId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM contexts WHERE context_id = $1 LIMIT 1', [contextId]);
  return (rowCount ?? 0) > 0;
}

/** Serialises writers of one context inside the caller's transaction, so versions are numbered without gaps or races. */
export async function lockContext(c: pg.ClientBase, contextId: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`contexts:${contextId}`]);
}

export async function insertContextVersion(c: pg.ClientBase, contextId: string, version: number, document: ContextDocument, createdBy: string): Promise<void> {
  await c.query('INSERT INTO contexts (context_id, version, document, created_by) VALUES ($1, $2, $3, $4)', [
    contextId, version, JSON.stringify(document), createdBy,
  ]);
}

export interface ContextUpdateRecord {
  eventId: string;
  contextId: string;
  fromVersion: number;
  toVersion: number;
  before: ContextDocument;
  after: ContextDocument;
  gradient: unknown;
  addedConstraints: string[];
  score: number | null;
  improvement: number | null;
  at: Date;
}

type UpdateRow = {
  event_id: string; context_id: string; from_version: number; to_version: number; before: ContextDocument; after: ContextDocument;
  gradient: unknown; added_constraints: string[]; score: number | null; improvement: number | null; at: Date;
};
const toRecord = (r: UpdateRow): ContextUpdateRecord => ({
  eventId: r.event_id, contextId: r.context_id, fromVersion: r.from_version, toVersion: r.to_version, before: r.before, after: r.after,
  gradient: r.gradient, addedConstraints: r.added_constraints, score: r.score, improvement: r.improvement, at: r.at,
});

/** Stores one learning step; the event id is unique, so it lands once. */
export async function recordContextUpdate(c: pg.ClientBase, u: Omit<ContextUpdateRecord, 'at'>): Promise<void> {
  await c.query(
    `INSERT INTO context_updates (event_id, context_id, from_version, to_version, before, after, gradient, added_constraints, score, improvement)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [u.eventId, u.contextId, u.fromVersion, u.toVersion, JSON.stringify(u.before), JSON.stringify(u.after), JSON.stringify(u.gradient),
      JSON.stringify(u.addedConstraints), u.score, u.improvement],
  );
}

export async function readContextUpdate(db: Pool | pg.ClientBase, eventId: string): Promise<ContextUpdateRecord | null> {
  const { rows } = await db.query<UpdateRow>('SELECT * FROM context_updates WHERE event_id = $1', [eventId]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** A context's learning history, oldest first. */
export async function contextHistory(db: Pool | pg.ClientBase, contextId: string): Promise<ContextUpdateRecord[]> {
  const { rows } = await db.query<UpdateRow>('SELECT * FROM context_updates WHERE context_id = $1 ORDER BY to_version', [contextId]);
  return rows.map(toRecord);
}

/** The score of the context's latest scored update: what an event's improvement is measured against. */
export async function previousScore(c: pg.ClientBase, contextId: string): Promise<number | null> {
  const { rows } = await c.query<{ score: number }>(
    'SELECT score FROM context_updates WHERE context_id = $1 AND score IS NOT NULL ORDER BY to_version DESC LIMIT 1',
    [contextId],
  );
  return rows[0]?.score ?? null;
}
