import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createAbTestingActivities } from '../../activities/ab-testing.js';
import { createExecutionFeedbackActivities } from '../../activities/execution-feedback.js';
import { loadConfig } from '../../src/config.js';
import type { Pool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';

export interface SnapshotRequest {
  abTestId: string;
  snapshotNo: number;
}

/**
 * A worker for abTest and ciFeedback over the real experiment activities, except that each hour's traffic is made
 * (by `serveHour`) just before the hour's snapshot measures it; a retried snapshot makes none, so its reading stays.
 */
export async function startAbTestWorker(
  env: TestWorkflowEnvironment,
  db: { pool: Pool; url: string },
  serveHour: (snapshot: SnapshotRequest) => Promise<void>,
): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = `ab-test-${randomUUID()}`;
  const deps = { pool: db.pool, logger: createLogger({ level: 'silent' }), config: loadConfig({ DATABASE_URL: db.url }) };
  const real = createAbTestingActivities(deps);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./ab-testing-and-feedback-workflows.ts', import.meta.url)),
    activities: {
      ...createExecutionFeedbackActivities(deps),
      ...real,
      async snapshotVariants(input: SnapshotRequest) {
        const { rowCount } = await db.pool.query('SELECT 1 FROM ab_test_snapshots WHERE ab_test_id = $1 AND snapshot_no = $2', [
          input.abTestId,
          input.snapshotNo,
        ]);
        if (rowCount === 0) await serveHour(input);
        return real.snapshotVariants(input);
      },
    },
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
