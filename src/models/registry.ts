import { readFile } from 'node:fs/promises';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { ArtifactStore } from './artifacts.js';

export type VersionStatus = 'registered' | 'canary' | 'production' | 'archived' | 'failed';

export interface ModelVersion {
  modelId: string;
  version: string;
  artifactUri: string;
  sha256: string;
  status: VersionStatus;
  metrics: Record<string, unknown>;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface AliasInterval {
  alias: string;
  version: string;
  from: Date;
  to: Date | null;
  changedBy: string;
  reason: string;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

interface VersionRow {
  model_id: string;
  version: string;
  artifact_uri: string;
  sha256: string;
  status: VersionStatus;
  metrics: Record<string, unknown>;
  metadata: Record<string, unknown>;
  created_at: Date;
}

const toVersion = (r: VersionRow): ModelVersion => ({
  modelId: r.model_id,
  version: r.version,
  artifactUri: r.artifact_uri,
  sha256: r.sha256,
  status: r.status,
  metrics: r.metrics,
  metadata: r.metadata,
  createdAt: r.created_at,
});

/** Model versions (ONNX files by content hash) and MLflow-style aliases moved only through recorded events. */
export class ModelRegistry {
  readonly store: ArtifactStore;

  constructor(private readonly pool: Pool, artifactDir: string) {
    this.store = new ArtifactStore(artifactDir);
  }

  /** Idempotent: the same version with the same bytes is a no-op; other bytes under a taken version are refused. */
  async register(input: {
    modelId: string;
    version: string;
    file: string;
    metrics?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  }): Promise<ModelVersion> {
    const bytes = await readFile(input.file);
    const { sha256, uri } = await this.store.put(bytes);
    const existing = await this.find(input.modelId, input.version);
    if (existing) {
      if (existing.sha256 !== sha256) {
        throw new RegistryError(
          `${input.modelId}@${input.version} is already registered with sha256 ${existing.sha256.slice(0, 12)}…; register the new file under a new version`,
        );
      }
      return existing;
    }
    return withTransaction(this.pool, async (c) => {
      await c.query('INSERT INTO models (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [input.modelId]);
      const { rows } = await c.query<VersionRow>(
        `INSERT INTO model_versions (model_id, version, artifact_uri, sha256, metrics, metadata)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (model_id, version) DO UPDATE SET model_id = EXCLUDED.model_id
         RETURNING *`,
        [input.modelId, input.version, uri, sha256, input.metrics ?? {}, input.metadata ?? {}],
      );
      return toVersion(rows[0]!);
    });
  }

  async find(modelId: string, version: string): Promise<ModelVersion | undefined> {
    const { rows } = await this.pool.query<VersionRow>(
      'SELECT * FROM model_versions WHERE model_id = $1 AND version = $2',
      [modelId, version],
    );
    return rows[0] && toVersion(rows[0]);
  }

  async get(modelId: string, version: string): Promise<ModelVersion> {
    const found = await this.find(modelId, version);
    if (!found) throw new RegistryError(`model version ${modelId}@${version} is not registered`);
    return found;
  }

  async list(modelId?: string): Promise<ModelVersion[]> {
    const { rows } = await this.pool.query<VersionRow>(
      'SELECT * FROM model_versions WHERE $1::text IS NULL OR model_id = $1 ORDER BY model_id, created_at, version',
      [modelId ?? null],
    );
    return rows.map(toVersion);
  }

  /** The artifact's bytes, verified against the registered sha256 on every load. */
  async loadArtifact(modelId: string, version: string): Promise<Uint8Array> {
    const v = await this.get(modelId, version);
    return this.store.load(v.artifactUri, v.sha256);
  }

  async setStatus(modelId: string, version: string, status: VersionStatus): Promise<void> {
    const { rowCount } = await this.pool.query(
      'UPDATE model_versions SET status = $3 WHERE model_id = $1 AND version = $2',
      [modelId, version, status],
    );
    if (rowCount === 0) throw new RegistryError(`model version ${modelId}@${version} is not registered`);
  }

  async setAlias(
    modelId: string,
    alias: string,
    version: string,
    by: { changedBy: string; reason?: string },
  ): Promise<void> {
    await this.get(modelId, version);
    await withTransaction(this.pool, async (c) => {
      const { rows } = await c.query<{ version: string }>(
        'SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2 FOR UPDATE',
        [modelId, alias],
      );
      const from = rows[0]?.version ?? null;
      if (from === version) return;
      await c.query(
        `INSERT INTO model_aliases (model_id, alias, version) VALUES ($1, $2, $3)
         ON CONFLICT (model_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
        [modelId, alias, version],
      );
      await c.query(
        `INSERT INTO model_alias_events (model_id, alias, from_version, to_version, changed_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [modelId, alias, from, version, by.changedBy, by.reason ?? ''],
      );
    });
  }

  async aliases(modelId: string): Promise<Record<string, string>> {
    const { rows } = await this.pool.query<{ alias: string; version: string }>(
      'SELECT alias, version FROM model_aliases WHERE model_id = $1 ORDER BY alias',
      [modelId],
    );
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
  }

  /** Which version each alias pointed to, and when: answers "what served production last Tuesday?". */
  async history(modelId: string, alias?: string): Promise<AliasInterval[]> {
    const { rows } = await this.pool.query<{
      alias: string;
      to_version: string;
      at: Date;
      until: Date | null;
      changed_by: string;
      reason: string;
    }>(
      `SELECT alias, to_version, at, changed_by, reason,
              lead(at) OVER (PARTITION BY alias ORDER BY at, id) AS until
         FROM model_alias_events
        WHERE model_id = $1 AND ($2::text IS NULL OR alias = $2) AND to_version IS NOT NULL
        ORDER BY alias, at`,
      [modelId, alias ?? null],
    );
    return rows.map((r) => ({
      alias: r.alias,
      version: r.to_version,
      from: r.at,
      to: r.until,
      changedBy: r.changed_by,
      reason: r.reason,
    }));
  }
}
