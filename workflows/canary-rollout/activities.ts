import type { createRolloutActivities, TrafficStep } from '../../activities/rollout.js';
import { activitiesOf } from '../activity-proxy.js';
import type { Begun, Rollout } from './state.js';

type RolloutActivities = typeof createRolloutActivities;
// Traffic and records: retried until the database is back, since a rollout must not stop half-way.
export const rollout = activitiesOf<RolloutActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['InvalidRolloutInput', 'RolloutAlreadyRunning'],
  },
});
// A gate webhook that keeps failing is a failed check, not a stuck rollout.
export const webhooks = activitiesOf<RolloutActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3 },
});
// An alert that cannot be delivered is logged by the activity and must not hold the rollout up.
export const alerts = activitiesOf<RolloutActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5 },
});

export const traffic = (
  r: Begun,
  step: string,
  percent: number,
  eventType: TrafficStep['eventType'],
  details: Record<string, unknown> = {},
): TrafficStep => ({
  ...r.ref,
  baselineVersion: r.carry.baselineVersion,
  step,
  candidatePercent: percent,
  eventType,
  details,
});

export function alertPaused({ input, ref }: Rollout, reason: string): Promise<unknown> {
  const message = `${input.modelId}@${input.candidateVersion} paused: ${reason}`;
  return alerts
    .sendAlert({
      level: 'warn',
      event: 'paused',
      workflowId: ref.workflowId,
      modelId: input.modelId,
      candidateVersion: input.candidateVersion,
      message,
    })
    .catch(() => undefined);
}
