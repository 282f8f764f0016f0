import type pg from 'pg';
import type { Db } from './pool.js';

export interface DebugPatternRow {
  /** The signature as stored; its `hash` is the row's signature_hash. */
  signature: { hash: string };
  fix_type: string;
  context_change: Record<string, unknown>;
  cases: string[];
  applied: number;
  recurred: number;
}

export async function upsertDebugPattern(db: Db, p: DebugPatternRow): Promise<void> {
  await db.query(
    `INSERT INTO debug_patterns (signature_hash, fix_type, signature, context_change, cases, applied, recurred)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (signature_hash, fix_type) DO UPDATE SET context_change = EXCLUDED.context_change, cases = EXCLUDED.cases,
       applied = EXCLUDED.applied, recurred = EXCLUDED.recurred, updated_at = now()`,
    [
      p.signature.hash,
      p.fix_type,
      JSON.stringify(p.signature),
      JSON.stringify(p.context_change),
      JSON.stringify(p.cases),
      p.applied,
      p.recurred,
    ],
  );
}

/** Serialises writers of one signature's patterns inside the caller's transaction. */
export async function lockSignature(c: pg.ClientBase, signatureHash: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`debug_patterns:${signatureHash}`]);
}

export async function readDebugPattern(db: Db, signatureHash: string, fixType: string): Promise<DebugPatternRow | undefined> {
  const { rows } = await db.query<DebugPatternRow>('SELECT * FROM debug_patterns WHERE signature_hash = $1 AND fix_type = $2', [
    signatureHash,
    fixType,
  ]);
  return rows[0];
}

/** The signature's patterns with an applied fix not yet charged a recurrence. */
export async function readUnchargedPatterns(db: Db, signatureHash: string): Promise<DebugPatternRow[]> {
  const { rows } = await db.query<DebugPatternRow>('SELECT * FROM debug_patterns WHERE signature_hash = $1 AND recurred < applied', [
    signatureHash,
  ]);
  return rows;
}

/** Patterns whose signature has this language and error type (either filter absent: any), latest update first. */
export async function readDebugPatterns(db: Db, filter: { language?: string; type?: string }): Promise<DebugPatternRow[]> {
  const { rows } = await db.query<DebugPatternRow>(
    `SELECT * FROM debug_patterns
     WHERE ($1::text IS NULL OR signature->>'language' = $1) AND ($2::text IS NULL OR signature->>'type' = $2)
     ORDER BY updated_at DESC`,
    [filter.language ?? null, filter.type ?? null],
  );
  return rows;
}
