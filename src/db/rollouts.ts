import type pg from 'pg';
import { withTransaction, type Pool } from './pool.js';
import { replaceWeights, type Weights } from './routing-weights.js';
import { defined } from '../platform/defined.js';

/** Timestamps cross the workflow boundary as PostgreSQL's own text, so no microsecond is lost between windows. */
export type DbTime = string;

export interface RolloutLockHolder {
  workflowId: string;
  runKey: string;
  acquiredAt: DbTime;
}

/**
 * Takes the model's rollout lock for this rollout, or returns who holds it. Taking it again with the same run key
 * (an activity retry, a continued-as-new run) is a no-op that succeeds.
 */
export async function acquireRolloutLock(
  pool: Pool,
  lock: { modelId: string; workflowId: string; runKey: string },
): Promise<{ acquired: true } | { acquired: false; holder: RolloutLockHolder }> {
  const { rows } = await pool.query<{ workflow_id: string; run_key: string; acquired_at: string }>(
    `INSERT INTO rollout_locks (model_id, workflow_id, run_key) VALUES ($1, $2, $3)
     ON CONFLICT (model_id) DO UPDATE SET model_id = EXCLUDED.model_id
     RETURNING workflow_id, run_key, acquired_at::text`,
    [lock.modelId, lock.workflowId, lock.runKey],
  );
  const row = defined(rows[0], 'rollout_locks row');
  if (row.run_key === lock.runKey) return { acquired: true };
  return { acquired: false, holder: { workflowId: row.workflow_id, runKey: row.run_key, acquiredAt: row.acquired_at } };
}

/** Hands a lock from a holder that no longer runs to a new rollout; false when someone else got there first. */
export async function takeOverRolloutLock(
  pool: Pool,
  lock: { modelId: string; workflowId: string; runKey: string; fromRunKey: string },
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE rollout_locks SET workflow_id = $2, run_key = $3, acquired_at = now() WHERE model_id = $1 AND run_key = $4`,
    [lock.modelId, lock.workflowId, lock.runKey, lock.fromRunKey],
  );
  return rowCount === 1;
}

export async function releaseRolloutLock(pool: Pool, lock: { modelId: string; runKey: string }): Promise<void> {
  await pool.query('DELETE FROM rollout_locks WHERE model_id = $1 AND run_key = $2', [lock.modelId, lock.runKey]);
}

export interface DeploymentStep {
  /** Unique per rollout step ("<workflow id>/<first run id>/stage-1"): a retried step finds its row and stops. */
  idempotencyKey: string;
  modelId: string;
  version: string;
  eventType: string;
  workflowId: string;
  details: Record<string, unknown>;
  /** The routing weights this step sets, committed with its event; none for a step that only records. */
  weights?: Weights;
  changedBy: string;
}

/**
 * Records a rollout step and applies its weights in one transaction. The first call does both and returns
 * applied: true; a retry of the same step (the worker died after the commit) changes nothing and returns the time
 * the step first happened, so the rollout's windows start where they really started.
 */
export async function applyDeploymentStep(pool: Pool, step: DeploymentStep): Promise<{ applied: boolean; at: DbTime }> {
  return withTransaction(pool, async (c) => {
    const inserted = await c.query<{ at: string }>(
      `INSERT INTO deployment_events (model_id, version, event_type, workflow_id, idempotency_key, details)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING at::text`,
      [step.modelId, step.version, step.eventType, step.workflowId, step.idempotencyKey, { ...step.details, weights: step.weights }],
    );
    if (inserted.rows[0]) {
      if (step.weights) await replaceWeights(c, step.modelId, step.weights, step.changedBy);
      return { applied: true, at: inserted.rows[0].at };
    }
    const existing = await c.query<{ at: string }>('SELECT at::text FROM deployment_events WHERE idempotency_key = $1', [
      step.idempotencyKey,
    ]);
    return { applied: false, at: defined(existing.rows[0], 'deployment_events row').at };
  });
}

export interface RollbackRecord {
  idempotencyKey: string;
  modelId: string;
  fromVersion: string;
  toVersion: string;
  reason: string;
  metrics: Record<string, unknown>;
  workflowId: string;
}

/** One rollback_events row per rollback, however often the activity that writes it is retried. */
export async function recordRollback(c: pg.ClientBase, r: RollbackRecord): Promise<boolean> {
  const { rowCount } = await c.query(
    `INSERT INTO rollback_events (model_id, from_version, to_version, reason, metrics, workflow_id, idempotency_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [r.modelId, r.fromVersion, r.toVersion, r.reason, r.metrics, r.workflowId, r.idempotencyKey],
  );
  return rowCount === 1;
}

export interface CheckRecord {
  modelId: string;
  workflowId: string;
  runKey: string;
  checkNo: number;
  stage: number;
  percent: number;
  decision: 'pass' | 'fail' | 'insufficient_data';
  reasons: string[];
  candidate: unknown;
  baseline: unknown;
  sequential: unknown;
}

export async function insertRolloutCheck(pool: Pool, r: CheckRecord): Promise<void> {
  await pool.query(
    `INSERT INTO rollout_checks (model_id, workflow_id, run_key, check_no, stage, percent, decision, reasons, candidate, baseline, sequential)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (run_key, check_no) DO NOTHING`,
    [
      r.modelId,
      r.workflowId,
      r.runKey,
      r.checkNo,
      r.stage,
      r.percent,
      r.decision,
      JSON.stringify(r.reasons),
      JSON.stringify(r.candidate),
      JSON.stringify(r.baseline ?? null),
      JSON.stringify(r.sequential ?? null),
    ],
  );
}
