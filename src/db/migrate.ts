import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { redactUrl, type Logger } from '../log.js';
import { ensureVectorIndex, type VectorIndexSetting } from './vector-index.js';

export const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Session lock held while one process migrates a database (any value of our own). */
const MIGRATE_LOCK = 0x1ea41_0001;

/** The server DATABASE_URL names cannot be reached: what a user must fix before anything else can run. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
  constructor(databaseUrl: string, cause: Error) {
    super(`PostgreSQL unreachable at ${redactUrl(databaseUrl)} (DATABASE_URL): ${cause.message || cause.name}`, { cause });
  }
}

/**
 * Connects, naming the (redacted) URL when the server does not answer rather than pg's bare socket error;
 * `configuredUrl` is the one the user set, when this connection goes to another database on its server.
 */
export async function connectClient(databaseUrl: string, configuredUrl = databaseUrl): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new DatabaseUnreachableError(configuredUrl, err as Error);
  }
  return client;
}

/** Creates the database named in the URL when it does not exist yet (connecting to `postgres` to do so). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = await connectClient(admin.toString(), databaseUrl);
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err: unknown) => {
        // Another process may have created it between the check and the create.
        const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
        if (code !== '42P04') throw err;
      });
    }
  } finally {
    await client.end();
  }
}

/** Drops the database named in the URL (connecting to `postgres` to do so), closing whatever still uses it. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = await connectClient(admin.toString(), databaseUrl);
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Applies the migrations, then (going up) the start-up step that puts pgvector's HNSW index under deduplication
 * where the server has the extension and `vectorIndex` (LEARNLOOP_VECTOR_INDEX) allows it: every entry point and
 * every test database runs it, so a database that gains the extension moves to the index on its next start.
 */
export async function migrate(
  databaseUrl: string,
  options: { direction?: 'up' | 'down'; count?: number; logger?: Logger; vectorIndex?: VectorIndexSetting } = {},
): Promise<string[]> {
  const { logger } = options;
  const direction = options.direction ?? 'up';
  const client = await connectClient(databaseUrl);
  try {
    // node-pg-migrate only tries its lock and fails a second process with "Another migration is already running";
    // processes starting together (a worker and the CLI, test files) wait their turn on this one instead.
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      migrationsTable: 'pgmigrations',
      direction,
      count: options.count ?? Infinity,
      singleTransaction: true,
      // Migrations come from parallel lines of work (rollout, retraining, learning, experiments) and touch separate
      // tables, so a database migrated by an earlier build must still take one that sorts before its newest.
      checkOrder: false,
      log: (msg: string) => logger?.debug({ migration: msg }, 'migration'),
      verbose: false,
    });
    const names = applied.map((m) => path.basename(m.name));
    if (names.length > 0) logger?.info({ migrations: names, direction }, 'migrations applied');
    if (direction === 'up') await ensureVectorIndex(client, { setting: options.vectorIndex, logger });
    return names;
  } finally {
    await client.end(); // ends the session, and with it the lock
  }
}
