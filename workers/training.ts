import { NativeConnection, Worker } from '@temporalio/worker';
import { TRAINING_TASK_QUEUE } from '../src/temporal/task-queues.js';

export interface TrainingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  activities: object;
  taskQueue?: string;
}

/**
 * The `learnloop-training` worker: training activities only, no workflows, so a GPU host can run just this. One
 * training at a time: two would share the accelerator (or the CPU cores) and each would take twice as long.
 */
export function createTrainingWorker(opts: TrainingWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? TRAINING_TASK_QUEUE,
    activities: opts.activities,
    maxConcurrentActivityTaskExecutions: 1,
  });
}
