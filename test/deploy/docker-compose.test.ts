import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { knownEnvironmentVariables } from '../../src/config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Service {
  build?: unknown;
  environment?: Record<string, string>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}

/**
 * No Docker engine runs here; `docker-compose config` (Debian's docker-compose) validates and resolves
 * the file without one, which is the part of "docker compose up" that can be checked on this machine.
 */
function resolvedCompose(): { services: Record<string, Service> } {
  const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LEARNLOOP_API_TOKEN: 'test-token' },
  });
  return parse(out) as { services: Record<string, Service> };
}

test('docker-compose.yml is a valid Compose file with the whole platform in it', () => {
  const { services } = resolvedCompose();
  for (const name of ['postgres', 'temporal', 'temporal-ui', 'worker', 'router']) {
    assert.ok(services[name], `service ${name} is defined`);
  }
  for (const name of ['postgres', 'temporal', 'router']) {
    assert.ok(services[name]!.healthcheck, `service ${name} has a health check`);
  }
  assert.equal(services.worker!.depends_on?.temporal?.condition, 'service_healthy');
});

test('every variable docker-compose sets on learnloop services is one src/config.ts knows', () => {
  const { services } = resolvedCompose();
  const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);
  assert.ok(ours.length >= 2, 'worker and router are built from the project Dockerfile');
  for (const [name, service] of ours) {
    for (const variable of Object.keys(service.environment ?? {})) {
      assert.ok(knownEnvironmentVariables.includes(variable), `${name} sets ${variable}, which src/config.ts does not read`);
    }
  }
});
