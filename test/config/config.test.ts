import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

test('with no environment the embedded defaults apply', () => {
  const config = loadConfig({});
  assert.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/learnloop');
  assert.equal(config.router.port, 8080);
  assert.equal(config.temporal.address, undefined, 'no address means learnloop starts its own dev server');
  assert.equal(config.temporal.namespace, 'default');
  assert.equal(config.home, path.resolve('.learnloop'));
  assert.equal(config.apiToken, undefined);
  // No deployment-wide learning rate: each trainer's default applies (1e-6 command, 3e-3 tfjs; fine-tune.ts).
  assert.equal(config.training.learningRate, undefined);
  assert.equal(loadConfig({ LEARNLOOP_TRAINING_LR: '1e-6' }).training.learningRate, 1e-6);
  assert.equal(loadConfig({ LEARNLOOP_TRAINING_LR: '' }).training.learningRate, undefined);
});

test('a bad value stops start-up with one line naming the variable and the reason', () => {
  for (const [env, variable] of [
    [{ ROUTER_PORT: 'eighty' }, 'ROUTER_PORT'],
    [{ ROUTER_PORT: '70000' }, 'ROUTER_PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LEARNLOOP_ALERT_WEBHOOK_URL: 'not a url' }, 'LEARNLOOP_ALERT_WEBHOOK_URL'],
    [{ LEARNLOOP_VECTOR_INDEX: 'on' }, 'LEARNLOOP_VECTOR_INDEX'],
  ] as const) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.message.includes(variable) && !err.message.includes('\n'),
      `${variable} is named`,
    );
  }
});

test('an empty token counts as no token, so auth is not silently enabled with an empty secret', () => {
  assert.equal(loadConfig({ LEARNLOOP_API_TOKEN: '' }).apiToken, undefined);
  assert.equal(loadConfig({ LEARNLOOP_API_TOKEN: 's3cret' }).apiToken, 's3cret');
});

test('LEARNLOOP_VECTOR_INDEX: pgvector used where the server has it unless set to off', () => {
  assert.equal(loadConfig({}).vectorIndex, 'auto');
  assert.equal(loadConfig({ LEARNLOOP_VECTOR_INDEX: 'off' }).vectorIndex, 'off');
});
