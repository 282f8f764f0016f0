import { Context } from '@temporalio/activity';
import type { Logger } from '../src/log.js';

/** The logger for the running activity: every line names its workflow, activity and attempt. */
export function activityLogger(logger: Logger): () => Logger {
  return () => {
    const info = Context.current().info;
    return logger.child({
      workflowId: info.workflowExecution?.workflowId,
      activityId: info.activityId,
      activity: info.activityType,
      attempt: info.attempt,
    });
  };
}
