import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { dropDatabase, ensureDatabase, migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import type { VectorIndexSetting } from '../../src/db/vector-index.js';

export interface ThrowawayDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/**
 * A fresh migrated database on DATABASE_URL's server for one bench run; `drop()` removes it. `vectorIndex`
 * is handed to migrate()'s start-up step (default: LEARNLOOP_VECTOR_INDEX).
 */
export async function throwawayDatabase(options: { vectorIndex?: VectorIndexSetting } = {}): Promise<ThrowawayDatabase> {
  const config = loadConfig();
  const url = new URL(config.databaseUrl);
  const name = `learnloop_bench_${randomBytes(6).toString('hex')}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  await migrate(url.toString(), { vectorIndex: options.vectorIndex ?? config.vectorIndex });
  const pool = createPool(url.toString(), { max: 4, applicationName: 'learnloop-bench' });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(url.toString());
    },
  };
}
