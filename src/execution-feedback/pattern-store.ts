import type pg from 'pg';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { learnPattern, recordRecurrence, type DebugPattern, type FixReport } from './debug-patterns.js';
import type { ErrorSignature } from './error-signature.js';

type Row = { signature: ErrorSignature; fix_type: DebugPattern['fixType']; context_change: Record<string, unknown>; cases: string[]; applied: number; recurred: number };
const toPattern = (r: Row): DebugPattern => ({
  signature: r.signature, fixType: r.fix_type, contextChange: r.context_change, cases: r.cases, applied: r.applied, recurred: r.recurred,
});

async function save(c: Pick<Pool, 'query'>, p: DebugPattern): Promise<void> {
  await c.query(
    `INSERT INTO debug_patterns (signature_hash, fix_type, signature, context_change, cases, applied, recurred)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (signature_hash, fix_type) DO UPDATE SET context_change = EXCLUDED.context_change, cases = EXCLUDED.cases,
       applied = EXCLUDED.applied, recurred = EXCLUDED.recurred, updated_at = now()`,
    [p.signature.hash, p.fixType, JSON.stringify(p.signature), JSON.stringify(p.contextChange), JSON.stringify(p.cases), p.applied, p.recurred],
  );
}

const lockSignature = (c: pg.ClientBase, signature: ErrorSignature) =>
  c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`debug_patterns:${signature.hash}`]);

/** Learns from a fixed error inside the caller's transaction (signature-locked, so concurrent reports both count). */
export async function learnFromFixWith(c: pg.ClientBase, signature: ErrorSignature, fix: FixReport): Promise<DebugPattern> {
  await lockSignature(c, signature);
  const { rows } = await c.query<Row>('SELECT * FROM debug_patterns WHERE signature_hash = $1 AND fix_type = $2', [signature.hash, fix.fixType]);
  const pattern = learnPattern(rows[0] && toPattern(rows[0]), signature, fix);
  await save(c, pattern);
  return pattern;
}

/** Learns from a fixed error. */
export async function learnFromFix(pool: Pool, signature: ErrorSignature, fix: FixReport): Promise<DebugPattern> {
  return withTransaction(pool, (c) => learnFromFixWith(c, signature, fix));
}

/**
 * The error was seen again, inside the caller's transaction: every fix applied for its signature that has not yet
 * been charged a recurrence is charged one.
 */
export async function chargeRecurrence(c: pg.ClientBase, signature: ErrorSignature): Promise<DebugPattern[]> {
  await lockSignature(c, signature);
  const { rows } = await c.query<Row>('SELECT * FROM debug_patterns WHERE signature_hash = $1 AND recurred < applied', [signature.hash]);
  const updated = rows.map((r) => recordRecurrence(toPattern(r)));
  for (const p of updated) await save(c, p);
  return updated;
}

/** The error was seen again (see chargeRecurrence). */
export async function recordSignatureRecurrence(pool: Pool, signature: ErrorSignature): Promise<DebugPattern[]> {
  return withTransaction(pool, (c) => chargeRecurrence(c, signature));
}

/** Patterns of one language and error type (the only ones recommendFix can match), or all of them. */
export async function listPatterns(pool: Pool, filter: { language?: string; type?: string } = {}): Promise<DebugPattern[]> {
  return listPatternsWith(pool, filter);
}

export async function listPatternsWith(db: Pool | pg.ClientBase, filter: { language?: string; type?: string } = {}): Promise<DebugPattern[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM debug_patterns
     WHERE ($1::text IS NULL OR signature->>'language' = $1) AND ($2::text IS NULL OR signature->>'type' = $2)
     ORDER BY updated_at DESC`,
    [filter.language ?? null, filter.type ?? null],
  );
  return rows.map(toPattern);
}
