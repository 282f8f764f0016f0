import type { Db, PoolClient } from './pool.js';
import { defined } from '../platform/defined.js';

export type VersionStatus = 'registered' | 'canary' | 'production' | 'archived' | 'failed';

export interface ModelVersionRow {
  model_id: string;
  version: string;
  artifact_uri: string;
  sha256: string;
  status: VersionStatus;
  metrics: Record<string, unknown>;
  metadata: Record<string, unknown>;
  created_at: Date;
}

/** Adds a model unless it exists. */
export async function insertModel(db: Db, modelId: string): Promise<void> {
  await db.query('INSERT INTO models (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [modelId]);
}

/**
 * Adds the model (when new) and the version; a version registered already is returned as stored, unchanged.
 * Run in a transaction, so a model row never outlives a failed version insert.
 */
export async function insertModelVersion(
  c: PoolClient,
  v: {
    modelId: string;
    version: string;
    artifactUri: string;
    sha256: string;
    metrics: Record<string, unknown>;
    metadata: Record<string, unknown>;
  },
): Promise<ModelVersionRow> {
  await insertModel(c, v.modelId);
  const { rows } = await c.query<ModelVersionRow>(
    `INSERT INTO model_versions (model_id, version, artifact_uri, sha256, metrics, metadata)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (model_id, version) DO UPDATE SET model_id = EXCLUDED.model_id
     RETURNING *`,
    [v.modelId, v.version, v.artifactUri, v.sha256, v.metrics, v.metadata],
  );
  return defined(rows[0], 'model_versions row');
}

export async function readModelVersion(db: Db, modelId: string, version: string): Promise<ModelVersionRow | undefined> {
  const { rows } = await db.query<ModelVersionRow>('SELECT * FROM model_versions WHERE model_id = $1 AND version = $2', [modelId, version]);
  return rows[0];
}

/** One model's versions, or every model's, oldest first within a model. */
export async function listModelVersions(db: Db, modelId?: string): Promise<ModelVersionRow[]> {
  const { rows } = await db.query<ModelVersionRow>(
    'SELECT * FROM model_versions WHERE $1::text IS NULL OR model_id = $1 ORDER BY model_id, created_at, version',
    [modelId ?? null],
  );
  return rows;
}

/** False when the version is not registered. */
export async function updateVersionStatus(db: Db, modelId: string, version: string, status: VersionStatus): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE model_versions SET status = $3 WHERE model_id = $1 AND version = $2', [
    modelId,
    version,
    status,
  ]);
  return rowCount !== 0;
}

/**
 * Takes a rolled-back candidate out of service: `status` (failed, or registered after an abort) and an `archived`
 * note in its metadata, unless it is in production.
 */
export async function archiveVersion(
  db: Db,
  a: { modelId: string; version: string; status: 'failed' | 'registered'; reason: string; workflowId: string },
): Promise<void> {
  await db.query(
    `UPDATE model_versions
       SET status = $3,
           metadata = metadata || jsonb_build_object('archived', jsonb_build_object('at', now(), 'reason', $4::text, 'workflowId', $5::text))
     WHERE model_id = $1 AND version = $2 AND status <> 'production'`,
    [a.modelId, a.version, a.status, a.reason, a.workflowId],
  );
}
