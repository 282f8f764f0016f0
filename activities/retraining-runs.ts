import { ApplicationFailure } from '@temporalio/activity';
import { finishTrainingRun, startTrainingRun, type TrainingRunEnd, type TrainingRunStart } from '../src/db/training-runs.js';
import { ModelRegistry } from '../src/models/registry.js';
import type { ActivityDeps } from './deps.js';

/** The `training_runs` record of a retraining: opened with the production version it starts from, closed once. */
export function createRetrainingRunActivities({ pool, config }: ActivityDeps) {
  const registry = new ModelRegistry(pool, config.artifactDir);
  return {
    async startTrainingRun(run: Omit<TrainingRunStart, 'baseVersion'>): Promise<{ id: string; baseVersion: string }> {
      const baseVersion = (await registry.aliases(run.modelId)).production;
      if (!baseVersion) {
        throw ApplicationFailure.nonRetryable(
          `modelId: ${run.modelId} has no production version to retrain from`,
          'InvalidRetrainingInput',
        );
      }
      const { id } = await startTrainingRun(pool, { ...run, baseVersion });
      return { id, baseVersion };
    },
    async finishTrainingRun(end: TrainingRunEnd): Promise<void> {
      await finishTrainingRun(pool, end);
    },
  };
}
