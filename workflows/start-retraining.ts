import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { retrainModel, retrainWorkflowId, type TriggeredRetraining } from './contracts/retrain-model.js';

/**
 * Starts a retrainModel for the model unless one is already running (then says which). Abandoned on close: the
 * trigger's job ends when the retraining has started.
 */
export async function startRetraining(input: {
  modelId: string;
  trigger: 'degradation' | 'data_threshold';
  emergency?: boolean;
  maxExamples?: number;
  minExamples?: number;
}): Promise<TriggeredRetraining> {
  const workflowId = retrainWorkflowId(input.modelId);
  try {
    await startChild(retrainModel, { workflowId, args: [input], parentClosePolicy: ParentClosePolicy.ABANDON });
    return { started: true, workflowId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false, workflowId };
    throw err;
  }
}
