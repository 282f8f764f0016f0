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
    const { rows } = await client.query<{ default_version: string }>("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
    if (rows.length > 0) return false;
  } finally {
    await client.end();
  }
  const reason = 'extension vector is not available on this PostgreSQL server (the optional accelerator: scripts/install-pgvector.sh)';
  if (process.env.LEARNLOOP_REQUIRE_VECTOR === '1') throw new Error(`LEARNLOOP_REQUIRE_VECTOR=1, but ${reason}`);
  return reason;
}
