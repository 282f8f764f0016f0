import type pg from 'pg';

export interface DebuggingSessionRow {
  session_id: string;
  context_id: string | null;
  signature: unknown;
  outcome: 'learned' | 'recommended' | 'no_pattern';
  fix_type: string | null;
  confidence: number | null;
  recurrences: number;
  context_version: number | null;
  steps: unknown[];
}

/** Serialises runs of one session inside the caller's transaction, so a retried step finds the first run's row. */
export async function lockDebuggingSession(c: pg.ClientBase, sessionId: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`debugging_sessions:${sessionId}`]);
}

export async function readDebuggingSession(c: pg.ClientBase, sessionId: string): Promise<DebuggingSessionRow | undefined> {
  const { rows } = await c.query<DebuggingSessionRow>('SELECT * FROM debugging_sessions WHERE session_id = $1', [sessionId]);
  return rows[0];
}

export async function insertDebuggingSession(c: pg.ClientBase, s: DebuggingSessionRow): Promise<void> {
  await c.query(
    `INSERT INTO debugging_sessions (session_id, context_id, signature, outcome, fix_type, confidence, recurrences, context_version, steps)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      s.session_id,
      s.context_id,
      JSON.stringify(s.signature),
      s.outcome,
      s.fix_type,
      s.confidence,
      s.recurrences,
      s.context_version,
      JSON.stringify(s.steps),
    ],
  );
}
