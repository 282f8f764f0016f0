import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';

/**
 * The activities an activities/ factory makes, as a workflow calls them: one way to proxy them, the options (timeouts
 * and retries) stated where each group of calls is declared.
 */
export const activitiesOf = <Factory extends (...args: never[]) => object>(options: ActivityOptions) =>
  proxyActivities<ReturnType<Factory>>(options);
