import { readFile } from 'node:fs/promises';
import { lockAlias, moveAlias, readAliasEvents, readAliases } from '../db/model-aliases.js';
import {
  insertModelVersion,
  listModelVersions,
  readModelVersion,
  updateVersionStatus,
  type ModelVersionRow,
  type VersionStatus,
} from '../db/model-versions.js';
import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { ArtifactStore } from './artifacts.js';

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

const toVersion = (r: ModelVersionRow): ModelVersion => ({
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

  constructor(
    private readonly pool: Pool,
    artifactDir: string,
  ) {
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
    return withTransaction(this.pool, async (c) =>
      toVersion(
        await insertModelVersion(c, {
          modelId: input.modelId,
          version: input.version,
          artifactUri: uri,
          sha256,
          metrics: input.metrics ?? {},
          metadata: input.metadata ?? {},
        }),
      ),
    );
  }

  async find(modelId: string, version: string): Promise<ModelVersion | undefined> {
    const row = await readModelVersion(this.pool, modelId, version);
    return row && toVersion(row);
  }

  async get(modelId: string, version: string): Promise<ModelVersion> {
    const found = await this.find(modelId, version);
    if (!found) throw new RegistryError(`model version ${modelId}@${version} is not registered`);
    return found;
  }

  async list(modelId?: string): Promise<ModelVersion[]> {
    return (await listModelVersions(this.pool, modelId)).map(toVersion);
  }

  /** The artifact's bytes, verified against the registered sha256 on every load. */
  async loadArtifact(modelId: string, version: string): Promise<Uint8Array> {
    const v = await this.get(modelId, version);
    return this.store.load(v.artifactUri, v.sha256);
  }

  async setStatus(modelId: string, version: string, status: VersionStatus): Promise<void> {
    if (!(await updateVersionStatus(this.pool, modelId, version, status)))
      throw new RegistryError(`model version ${modelId}@${version} is not registered`);
  }

  async setAlias(modelId: string, alias: string, version: string, by: { changedBy: string; reason?: string }): Promise<void> {
    await this.get(modelId, version);
    await withTransaction(this.pool, async (c) => {
      const from = await lockAlias(c, modelId, alias);
      if (from === version) return;
      await moveAlias(c, { modelId, alias, from, to: version, changedBy: by.changedBy, reason: by.reason ?? '' });
    });
  }

  async aliases(modelId: string): Promise<Record<string, string>> {
    return Object.fromEntries((await readAliases(this.pool, modelId)).map((r) => [r.alias, r.version]));
  }

  /** Which version each alias pointed to, and when: answers "what served production last Tuesday?". */
  async history(modelId: string, alias?: string): Promise<AliasInterval[]> {
    return (await readAliasEvents(this.pool, modelId, alias)).map((r) => ({
      alias: r.alias,
      version: r.to_version,
      from: r.at,
      to: r.until,
      changedBy: r.changed_by,
      reason: r.reason,
    }));
  }
}
