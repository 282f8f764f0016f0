import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '../../src/db/pool.js';
import { dropDatabase, ensureDatabase, migrate } from '../../src/db/migrate.js';
import { loadConfig } from '../../src/config.js';

export interface TestDatabase {
  url: string;
  name: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** The server tests use: DATABASE_URL's server, with a fresh throwaway database per call. */
function serverUrl(): URL {
  return new URL(loadConfig().databaseUrl);
}

/** A fresh, migrated database that only this test uses; `drop()` removes it. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `learnloop_test_${randomBytes(6).toString('hex')}`;
  const url = serverUrl();
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  if (options.migrate !== false) await migrate(url.toString(), { vectorIndex: loadConfig().vectorIndex });
  const pool = createPool(url.toString(), { max: 5, applicationName: 'learnloop-test' });
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(url.toString());
    },
  };
}
