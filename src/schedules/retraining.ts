import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { TASK_QUEUE } from '../temporal/task-queues.js';

export interface RetrainingScheduleSettings {
  modelId: string;
  /** IANA name; the weekly and daily calendars are read in it. */
  timeZone: string;
  taskQueue?: string;
}

/**
 * The retraining triggers of one model, as Schedules (visible and pausable in the Web UI). Overlap SKIP: a trigger
 * firing while its previous run still runs does nothing; retrainModel's own id (`retrain-<model>`) keeps the
 * degradation and data triggers from ever running two retrainings of a model at once.
 */
export function retrainingSchedules({ modelId, timeZone, taskQueue = TASK_QUEUE }: RetrainingScheduleSettings): ScheduleOptions[] {
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' };
  return [
    {
      scheduleId: `learnloop-retrain-weekly-${modelId}`,
      spec: { calendars: [{ dayOfWeek: 'SUNDAY', hour: 2, minute: 0 }], timezone: timeZone },
      action: {
        type: 'startWorkflow',
        workflowType: 'retrainModel',
        taskQueue,
        workflowId: `retrain-${modelId}-weekly`,
        args: [{ modelId, trigger: 'weekly', minExamples: 50 }],
      },
      policies,
      memo: { description: 'weekly retraining, Sunday 02:00' },
    },
    {
      scheduleId: `learnloop-check-degradation-${modelId}`,
      spec: { intervals: [{ every: '6h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'checkDegradation',
        taskQueue,
        workflowId: `check-degradation-${modelId}`,
        args: [{ modelId }],
      },
      policies,
      memo: { description: 'every 6 hours: last 6 h pass rate vs the week before; > 5% drop starts an emergency retraining' },
    },
    {
      scheduleId: `learnloop-check-new-data-${modelId}`,
      spec: { calendars: [{ hour: 3, minute: 0 }], timezone: timeZone },
      action: {
        type: 'startWorkflow',
        workflowType: 'checkNewData',
        taskQueue,
        workflowId: `check-new-data-${modelId}`,
        args: [{ modelId }],
      },
      policies,
      memo: { description: 'daily 03:00: retrain when ≥ 100 new qualifying examples exist' },
    },
  ];
}

/**
 * A weekly learningCycle over the given applications, Monday 00:00 (a 7-day cycle each week). Off unless asked for:
 * a cycle deploys variants and opens incidents, which an operator should choose to run.
 */
export function learningCycleSchedule(settings: { applications: string[]; timeZone: string; taskQueue?: string }): ScheduleOptions {
  return {
    scheduleId: 'learnloop-learning-cycle-weekly',
    spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 0, minute: 0 }], timezone: settings.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: 'learningCycle',
      taskQueue: settings.taskQueue ?? TASK_QUEUE,
      workflowId: 'learning-cycle-weekly',
      args: [{ applications: settings.applications, durationDays: 7 }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    memo: { description: 'weekly learning cycle' },
  };
}

/** Creates the schedules that are missing and updates the others to these settings; safe to run on every deploy. */
export async function applySchedules(
  client: Client,
  wanted: ScheduleOptions[],
): Promise<{ scheduleId: string; change: 'created' | 'updated' }[]> {
  const changes: { scheduleId: string; change: 'created' | 'updated' }[] = [];
  for (const options of wanted) {
    const handle = client.schedule.getHandle(options.scheduleId);
    try {
      await handle.update((previous) => ({
        spec: options.spec,
        action: options.action,
        policies: options.policies,
        state: previous.state,
      }));
      changes.push({ scheduleId: options.scheduleId, change: 'updated' });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await client.schedule.create(options);
      changes.push({ scheduleId: options.scheduleId, change: 'created' });
    }
  }
  return changes;
}
