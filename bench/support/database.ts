import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { dropDatabase, ensureDatabase, migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import type { VectorIndexSetting } from '../../src/db/vector-index.js';

export interface ThrowawayDatabase {
  url: string;
  name: string;
  pool: Pool;
  drop(): Promise<void>;
}

/**
 * A fresh database on DATABASE_URL's server that only this test or bench run uses; `drop()` removes it. Migrated
 * unless `migrate: false`; `vectorIndex` is handed to migrate()'s start-up step (default: LEARNLOOP_VECTOR_INDEX).
 */
export async function throwawayDatabase(options: { migrate?: boolean; vectorIndex?: VectorIndexSetting } = {}): Promise<ThrowawayDatabase> {
  const config = loadConfig();
  const url = new URL(config.databaseUrl);
  const name = `learnloop_test_${randomBytes(6).toString('hex')}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  if (options.migrate !== false) await migrate(url.toString(), { vectorIndex: options.vectorIndex ?? config.vectorIndex });
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
