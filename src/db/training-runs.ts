import type { Pool } from './pool.js';
import { defined } from '../platform/defined.js';

export type TrainingRunStatus = 'running' | 'skipped' | 'rejected' | 'deployed' | 'failed' | 'cancelled';

export interface TrainingRunStart {
  workflowId: string;
  modelId: string;
  trigger: 'weekly' | 'degradation' | 'data_threshold' | 'manual' | 'learning_cycle';
  baseVersion: string;
  learningCycleId?: string;
}

/** The run's row, created once per retraining workflow however often the activity is retried. */
export async function startTrainingRun(pool: Pool, run: TrainingRunStart): Promise<{ id: string }> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO training_runs (model_id, workflow_id, trigger, base_version, learning_cycle_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workflow_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
     RETURNING id`,
    [run.modelId, run.workflowId, run.trigger, run.baseVersion, run.learningCycleId ?? null],
  );
  return defined(rows[0], 'training_runs row');
}

export interface TrainingRunEnd {
  id: string;
  status: Exclude<TrainingRunStatus, 'running'>;
  candidateVersion?: string;
  examplesSelected?: number;
  examplesAfterDedup?: number;
  epochsRun?: number;
  losses?: number[];
  metrics?: Record<string, unknown>;
  backend?: string;
}

/** Closes the row once: a retry after the first close changes nothing. */
export async function finishTrainingRun(pool: Pool, end: TrainingRunEnd): Promise<void> {
  await pool.query(
    `UPDATE training_runs
        SET status = $2, candidate_version = $3, examples_selected = $4, examples_after_dedup = $5, epochs_run = $6,
            losses = $7, metrics = $8, backend = $9, ended_at = now()
      WHERE id = $1 AND status = 'running'`,
    [
      end.id,
      end.status,
      end.candidateVersion ?? null,
      end.examplesSelected ?? null,
      end.examplesAfterDedup ?? null,
      end.epochsRun ?? null,
      JSON.stringify(end.losses ?? []),
      JSON.stringify(end.metrics ?? {}),
      end.backend ?? null,
    ],
  );
}
