import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { knownEnvironmentVariables } from '../../src/config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Service {
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
}

/**
 * No Docker engine (nor docker-compose) runs here. What `docker compose config` checks without one is checked here:
 * the file, its `${VAR:-default}` interpolated and its YAML merge keys resolved, against the Compose Specification's
 * JSON schema. The schema is the one the dclint package (a Compose linter, a devDependency) ships from compose-spec.
 */
function composeValidator(): ValidateFunction {
  const dclint = path.dirname(createRequire(import.meta.url).resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(path.join(dclint, 'schemas', 'compose.schema.json'), 'utf8')) as { $schema?: string };
  // The schema's type lists (`["number", "string"]`, for values that interpolation fills in) are meant as written.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  // It names draft-07 by its https address; Ajv knows draft-07 by the http one.
  const draft07 = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  if (schema.$schema && !ajv.getSchema(schema.$schema)) ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
  return ajv.compile(schema);
}
const validate = composeValidator();

/** Compose's interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR:+alt}`. */
function interpolate(value: unknown, env: Record<string, string>, at = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|)/g, (whole, dollar?: string, braced?: string, bare?: string) => {
      if (dollar) return '$';
      if (bare) return env[bare] ?? '';
      const m = braced === undefined ? null : /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])(.*))?$/s.exec(braced);
      if (!m) throw new Error(`${at}: invalid interpolation ${whole}`);
      const [, name = '', colon, op, arg = ''] = m;
      const current = env[name];
      const present = colon ? current !== undefined && current !== '' : current !== undefined;
      if (op === '-') return present ? current! : arg;
      if (op === '+') return present ? arg : '';
      if (op === '?') {
        if (!present) throw new Error(`${at}: ${name} is required: ${arg}`);
        return current!;
      }
      return current ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, at ? `${at}.${k}` : k)]));
  }
  return value;
}

function loadCompose(env: Record<string, string>, text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')): unknown {
  return interpolate(parse(text, { merge: true }), env);
}

/** Ajv's errors, one per line, each with the path it is about. */
function schemaErrors(document: unknown): string {
  return validate(document) ? '' : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${String(e.message)}`).join('\n');
}

function resolvedCompose(env: Record<string, string> = { LEARNLOOP_API_TOKEN: 'test-token' }): Compose {
  const document = loadCompose(env);
  assert.equal(schemaErrors(document), '', 'docker-compose.yml follows the Compose Specification');
  return document as Compose;
}

function environmentOf(service: Service): Record<string, unknown> {
  const env = service.environment ?? {};
  return Array.isArray(env) ? Object.fromEntries(env.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)])) : env;
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
  assert.equal(environmentOf(services.router!).LEARNLOOP_API_TOKEN, 'test-token', 'the token comes from the environment');
  assert.equal(environmentOf(resolvedCompose({}).services.router!).LEARNLOOP_API_TOKEN, 'change-me', "and defaults when it isn't set");
});

test('every variable docker-compose sets on learnloop services is one src/config.ts knows', () => {
  const { services } = resolvedCompose();
  const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);
  assert.ok(ours.length >= 2, 'worker and router are built from the project Dockerfile');
  for (const [name, service] of ours) {
    const variables = Object.keys(environmentOf(service));
    assert.ok(variables.includes('DATABASE_URL'), `${name} gets the shared variables through the YAML merge key`);
    for (const variable of variables) {
      assert.ok(knownEnvironmentVariables.includes(variable), `${name} sets ${variable}, which src/config.ts does not read`);
    }
  }
});

test('the schema check refuses what docker compose would refuse', () => {
  const broken = (change: (c: Compose & Record<string, unknown>) => void) => {
    const document = structuredClone(resolvedCompose()) as Compose & Record<string, unknown>;
    change(document);
    return schemaErrors(document);
  };
  assert.match(
    broken((c) => ((c.services.router as Record<string, unknown>).imagee = 'learnloop')),
    /^\/services\/router must NOT have additional properties$/m,
  );
  assert.match(
    broken((c) => ((c.services.router as Record<string, unknown>).ports = '8080:8080')),
    /^\/services\/router\/ports must be array$/m,
  );
  assert.match(
    broken((c) => ((c.services.worker as Record<string, unknown>).restart = 5)),
    /^\/services\/worker\/restart must be string$/m,
  );
  assert.match(
    broken((c) => (c.services.worker!.depends_on!.temporal!.condition = 'service_ready')),
    /^\/services\/worker\/depends_on\/temporal\/condition must be equal to one of the allowed values$/m,
  );
  assert.match(
    broken((c) => (c.servics = {})),
    /^\/ must NOT have additional properties$/m,
  );
  assert.throws(
    () => loadCompose({}, 'services:\n  a:\n    image: ${IMAGE:?set IMAGE}\n'),
    /services\.a\.image: IMAGE is required: set IMAGE/,
  );
});
