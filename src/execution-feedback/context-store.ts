import type pg from 'pg';
import { readContextUpdateRow, readContextUpdateRows, type ContextUpdateRow } from '../db/context-updates.js';
import { insertFirstContextVersion, readContextRow } from '../db/contexts.js';
import type { Pool } from '../db/pool.js';
import { contextDocumentSchema, type ContextDocument } from '../models/context-document.js';

export interface StoredContext {
  contextId: string;
  version: number;
  document: ContextDocument;
}

export class UnknownContextError extends Error {
  override readonly name = 'UnknownContextError';
  constructor(
    readonly contextId: string,
    version?: number,
  ) {
    super(`contextId: unknown context ${contextId}${version !== undefined ? ` version ${version}` : ''}`);
  }
}

/** Version 1 of a new context; creating one that exists with the same document is a no-op (a retried create). */
export async function createContext(pool: Pool, contextId: string, document: unknown, createdBy: string): Promise<StoredContext> {
  const doc = contextDocumentSchema.parse(document);
  await insertFirstContextVersion(pool, contextId, doc, createdBy);
  return readContext(pool, contextId, 1);
}

/** The latest version, or the one named. */
export async function readContext(db: Pool | pg.ClientBase, contextId: string, version?: number): Promise<StoredContext> {
  const row = await readContextRow(db, contextId, version);
  if (!row) throw new UnknownContextError(contextId, version);
  return { contextId, version: row.version, document: contextDocumentSchema.parse(row.document) };
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

// The documents were validated when they were written (they are context versions' documents).
const toRecord = (r: ContextUpdateRow): ContextUpdateRecord => ({
  eventId: r.event_id,
  contextId: r.context_id,
  fromVersion: r.from_version,
  toVersion: r.to_version,
  before: r.before as ContextDocument,
  after: r.after as ContextDocument,
  gradient: r.gradient,
  addedConstraints: r.added_constraints,
  score: r.score,
  improvement: r.improvement,
  at: r.at,
});

export async function readContextUpdate(db: Pool | pg.ClientBase, eventId: string): Promise<ContextUpdateRecord | null> {
  const row = await readContextUpdateRow(db, eventId);
  return row ? toRecord(row) : null;
}

/** A context's learning history, oldest first. */
export async function contextHistory(db: Pool | pg.ClientBase, contextId: string): Promise<ContextUpdateRecord[]> {
  return (await readContextUpdateRows(db, contextId)).map(toRecord);
}
