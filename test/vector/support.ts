import pg from 'pg';
import { loadConfig } from '../../src/config.js';

/**
 * The vector tests need pgvector on DATABASE_URL's server. Where it is absent they are skipped with this reason,
 * printed by the test runner; with LEARNLOOP_REQUIRE_VECTOR=1 (`npm run test:vector`, CI after installing the
 * accelerator) its absence is a failure instead.
 */
export async function vectorSkipReason(): Promise<string | false> {
  const url = new URL(loadConfig().databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ default_version: string }>(
      "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
    );
    if (rows.length > 0) return false;
  } finally {
    await client.end();
  }
  const reason = 'extension vector is not available on this PostgreSQL server (the optional accelerator: scripts/install-pgvector.sh)';
  if (process.env.LEARNLOOP_REQUIRE_VECTOR === '1') throw new Error(`LEARNLOOP_REQUIRE_VECTOR=1, but ${reason}`);
  return reason;
}

/**
 * Makes the planner take the HNSW index in this database's new sessions. At the few thousand rows a test stores,
 * PostgreSQL rightly prefers reading the model's rows and sorting them by distance (exact, and cheaper than the
 * index at ef_search 100; at bench/dedup-recall.ts's 10,000 it takes the index by itself), so without this a test
 * of the index would compare exact search with itself. Sorting off leaves the index the one way to get the order.
 * Open pools keep their sessions' setting.
 */
export async function preferIndex(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.query(`ALTER DATABASE ${pg.escapeIdentifier(rows[0]!.db)} SET enable_sort = off`);
  } finally {
    await client.end();
  }
}
