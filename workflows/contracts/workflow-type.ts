import type { Workflow } from '@temporalio/common';

/**
 * A workflow as its callers know it: its type name with its signature, so that a client starts it
 * (`client.workflow.start(canaryRollout, …)`) and a parent its child with arguments and result type-checked, without
 * importing the workflow's code. Temporal takes a function's name as the workflow type; this function carries only
 * that name, and calling it is a mistake.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- F is the caller's explicit type argument (the workflow's signature); there is no value to infer it from
export function workflowType<F extends Workflow>(name: string): F {
  const named = {
    [name]: () => {
      throw new Error(`${name} runs on a worker: start it with a Temporal client`);
    },
  }[name];
  return named as unknown as F;
}
