import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../log.js';
import { assertPortFree } from '../net/port-in-use.js';
import { ensureTemporalBinary } from './binaries.js';
import { searchAttributeCliArgs } from './search-attributes.js';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  home: string;
  port: number;
  uiPort: number;
  namespace: string;
  searchPath: string;
  /** LEARNLOOP_HOME of the pinned Temporal CLI install, when the server's home is elsewhere (a test's scratch folder). */
  toolsHome?: string;
  logger: Logger;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
}

/**
 * Starts `temporal server start-dev` persisting to `<home>/temporal.db`, so workflows (a rollout dwelling
 * twelve hours) survive a restart of learnloop, with the Web UI on and learnloop's search attributes registered.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  mkdirSync(opts.home, { recursive: true });
  // The dev server would exit with a bind error buried in its own log; say which setting moves it instead.
  await assertPortFree(
    'Temporal',
    '127.0.0.1',
    opts.port,
    'TEMPORAL_PORT',
    `, or TEMPORAL_ADDRESS=127.0.0.1:${opts.port} to use the server already there`,
  );
  await assertPortFree('Temporal Web UI', '127.0.0.1', opts.uiPort, 'TEMPORAL_UI_PORT');
  const binary = await ensureTemporalBinary('temporal', {
    home: opts.toolsHome ?? opts.home,
    searchPath: opts.searchPath,
    logger: opts.logger,
  });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(opts.home, 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    ...searchAttributeCliArgs(),
  ];
  const log = opts.logger.child({ component: 'temporal-dev-server' });
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  child.stdout.on('data', (d: Buffer) => {
    log.debug({ out: d.toString().trim() }, 'temporal');
  });
  child.stderr.on('data', (d: Buffer) => {
    log.debug({ err: d.toString().trim() }, 'temporal');
  });

  const address = `127.0.0.1:${opts.port}`;
  await waitUntilReady(address, child, exited, opts.readyTimeoutMs ?? 60_000);
  log.info({ address, ui: `http://127.0.0.1:${opts.uiPort}` }, 'temporal dev server ready');
  return {
    address,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    stop: () => stopChild(child, exited),
  };
}

async function waitUntilReady(address: string, child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`temporal dev server exited with code ${String(exitCode)} before it was ready`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.healthService.check({});
      await connection.close();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  child.kill('SIGTERM');
  throw new Error(`temporal dev server not ready on ${address} after ${timeoutMs} ms: ${String(lastError)}`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
