import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TASK_QUEUE } from '../temporal/task-queues.js';

/**
 * Starts ciFeedback for a stored event, the event id as workflow id. A finished run is never repeated (a
 * redelivered webhook is processed once); one that failed may be started again by the redelivery.
 */
export async function startCiFeedback(client: Client, eventId: string, taskQueue = TASK_QUEUE): Promise<{ started: boolean }> {
  try {
    await client.workflow.start('ciFeedback', {
      workflowId: eventId,
      taskQueue,
      args: [{ eventId }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    return { started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
    throw err;
  }
}
