import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevServerEnv, createTimeSkippingEnv } from '../../bench/support/temporal.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';

test('the time-skipping server learnloop installs from PyPI starts and answers', async () => {
  const env = await createTimeSkippingEnv();
  try {
    assert.equal(env.supportsTimeSkipping, true);
  } finally {
    await env.teardown();
  }
});

test('the dev server learnloop starts persists to its home and registers the search attributes', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'learnloop-dev-'));
  const server = await startDevServer({
    home,
    port: 17233,
    uiPort: 18233,
    namespace: 'default',
    searchPath: loadConfig().searchPath,
    toolsHome: loadConfig().home,
    logger: createLogger({ level: 'silent' }),
  });
  try {
    assert.ok(existsSync(path.join(home, 'temporal.db')));
    const connection = await Connection.connect({ address: server.address });
    const { customAttributes } = await connection.operatorService
      .listSearchAttributes({ namespace: 'default' })
      .finally(() => connection.close());
    const names = Object.keys(customAttributes);
    assert.ok(names.includes('LearnloopModel') && names.includes('LearnloopStage'), `custom attributes: ${names.join(',')}`);
  } finally {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

test('the in-memory dev server for tests has the search attributes too', async () => {
  const env = await createDevServerEnv();
  try {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.ok(Object.keys(customAttributes).includes('LearnloopState'));
  } finally {
    await env.teardown();
  }
});

test('search attributes are added to a server learnloop did not start, once', async () => {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { ensureTemporalBinary } = await import('../../src/temporal/binaries.js');
  const { ensureSearchAttributes } = await import('../../src/temporal/ensure-search-attributes.js');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: await ensureTemporalBinary('temporal', loadConfig()) } },
  });
  try {
    const added = await ensureSearchAttributes(env.connection, 'default');
    assert.ok(added.includes('LearnloopModel'));
    assert.deepEqual(await ensureSearchAttributes(env.connection, 'default'), [], 'nothing is added twice');
  } finally {
    await env.teardown();
  }
});
