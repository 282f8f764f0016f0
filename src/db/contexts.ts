import type pg from 'pg';
import type { Db } from './pool.js';

/** Version 1 of a context unless the context has one already (a retried create). */
export async function insertFirstContextVersion(db: Db, contextId: string, document: unknown, createdBy: string): Promise<void> {
  await db.query(`INSERT INTO contexts (context_id, version, document, created_by) VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING`, [
    contextId,
    JSON.stringify(document),
    createdBy,
  ]);
}

/** The latest version, or the one named; undefined when there is none. */
export async function readContextRow(
  db: Db,
  contextId: string,
  version?: number,
): Promise<{ version: number; document: unknown } | undefined> {
  const { rows } = await db.query<{ version: number; document: unknown }>(
    `SELECT version, document FROM contexts WHERE context_id = $1 AND ($2::int IS NULL OR version = $2)
     ORDER BY version DESC LIMIT 1`,
    [contextId, version ?? null],
  );
  return rows[0];
}

export async function contextExists(db: Db, contextId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM contexts WHERE context_id = $1 LIMIT 1', [contextId]);
  return (rowCount ?? 0) > 0;
}

/** Serialises writers of one context inside the caller's transaction, so versions are numbered without gaps or races. */
export async function lockContext(c: pg.ClientBase, contextId: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`contexts:${contextId}`]);
}

export async function insertContextVersion(
  c: pg.ClientBase,
  contextId: string,
  version: number,
  document: unknown,
  createdBy: string,
): Promise<void> {
  await c.query('INSERT INTO contexts (context_id, version, document, created_by) VALUES ($1, $2, $3, $4)', [
    contextId,
    version,
    JSON.stringify(document),
    createdBy,
  ]);
}
