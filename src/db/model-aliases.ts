import type { Db, PoolClient } from './pool.js';

/** The alias's version, locked until the transaction ends; null when the alias is not set. */
export async function lockAlias(c: PoolClient, modelId: string, alias: string): Promise<string | null> {
  const { rows } = await c.query<{ version: string }>('SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2 FOR UPDATE', [
    modelId,
    alias,
  ]);
  return rows[0]?.version ?? null;
}

/** Points the alias at a version and records the move, in the caller's transaction. */
export async function moveAlias(
  c: PoolClient,
  m: { modelId: string; alias: string; from: string | null; to: string; changedBy: string; reason: string },
): Promise<void> {
  await c.query(
    `INSERT INTO model_aliases (model_id, alias, version) VALUES ($1, $2, $3)
     ON CONFLICT (model_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
    [m.modelId, m.alias, m.to],
  );
  await c.query(
    `INSERT INTO model_alias_events (model_id, alias, from_version, to_version, changed_by, reason)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [m.modelId, m.alias, m.from, m.to, m.changedBy, m.reason],
  );
}

export async function readAliases(db: Db, modelId: string): Promise<{ alias: string; version: string }[]> {
  const { rows } = await db.query<{ alias: string; version: string }>(
    'SELECT alias, version FROM model_aliases WHERE model_id = $1 ORDER BY alias',
    [modelId],
  );
  return rows;
}

export interface AliasEventRow {
  alias: string;
  to_version: string;
  at: Date;
  /** When the alias moved on; null while it still points there. */
  until: Date | null;
  changed_by: string;
  reason: string;
}

/** Every move of a model's aliases (or of one) to a version, by alias and time. */
export async function readAliasEvents(db: Db, modelId: string, alias?: string): Promise<AliasEventRow[]> {
  const { rows } = await db.query<AliasEventRow>(
    `SELECT alias, to_version, at, changed_by, reason,
            lead(at) OVER (PARTITION BY alias ORDER BY at, id) AS until
       FROM model_alias_events
      WHERE model_id = $1 AND ($2::text IS NULL OR alias = $2) AND to_version IS NOT NULL
      ORDER BY alias, at`,
    [modelId, alias ?? null],
  );
  return rows;
}
