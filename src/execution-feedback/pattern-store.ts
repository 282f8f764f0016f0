import type pg from 'pg';
import {
  lockSignature,
  readDebugPattern,
  readDebugPatterns,
  readUnchargedPatterns,
  upsertDebugPattern,
  type DebugPatternRow,
} from '../db/debug-patterns.js';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { learnPattern, recordRecurrence, type DebugPattern, type FixReport } from './debug-patterns.js';
import type { ErrorSignature } from './error-signature.js';

// Rows are written by save() from patterns of these types.
const toPattern = (r: DebugPatternRow): DebugPattern => ({
  signature: r.signature as ErrorSignature,
  fixType: r.fix_type as DebugPattern['fixType'],
  contextChange: r.context_change,
  cases: r.cases,
  applied: r.applied,
  recurred: r.recurred,
});

const save = (db: Pool | pg.ClientBase, p: DebugPattern) =>
  upsertDebugPattern(db, {
    signature: p.signature,
    fix_type: p.fixType,
    context_change: p.contextChange,
    cases: p.cases,
    applied: p.applied,
    recurred: p.recurred,
  });

/** Learns from a fixed error inside the caller's transaction (signature-locked, so concurrent reports both count). */
export async function learnFromFixWith(c: pg.ClientBase, signature: ErrorSignature, fix: FixReport): Promise<DebugPattern> {
  await lockSignature(c, signature.hash);
  const stored = await readDebugPattern(c, signature.hash, fix.fixType);
  const pattern = learnPattern(stored && toPattern(stored), signature, fix);
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
  await lockSignature(c, signature.hash);
  const updated = (await readUnchargedPatterns(c, signature.hash)).map((r) => recordRecurrence(toPattern(r)));
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

export async function listPatternsWith(
  db: Pool | pg.ClientBase,
  filter: { language?: string; type?: string } = {},
): Promise<DebugPattern[]> {
  return (await readDebugPatterns(db, filter)).map(toPattern);
}
