import type { Application } from '../src/learning/application.js';
import type { ActivityDeps } from './deps.js';
import { createAbTestingActivities } from './ab-testing.js';
import { createExecutionFeedbackActivities } from './execution-feedback.js';
import { createLearningActivities } from './learning.js';
import { createRetrainingDataActivities } from './retraining-data.js';
import { createRetrainingRunActivities } from './retraining-runs.js';
import { createRolloutActivities } from './rollout.js';

export type { ActivityDeps } from './deps.js';

/**
 * Every activity the `learnloop` worker serves, built from its dependencies so tests can inject their own, and from
 * what the examples provide: the applications a learning cycle may deploy.
 */
export function createActivities(deps: ActivityDeps, examples: { applications: readonly Application[] }) {
  return {
    ...createRolloutActivities(deps),
    ...createAbTestingActivities(deps),
    ...createExecutionFeedbackActivities(deps),
    ...createRetrainingDataActivities(deps),
    ...createRetrainingRunActivities(deps),
    ...createLearningActivities(deps, examples),
  };
}
