import { loadConfig, type Config } from '../config.js';
import { ensureDatabase, migrate } from '../db/migrate.js';
import { createPool, type Pool } from '../db/pool.js';
import { createLogger, type Logger } from '../log.js';
import { ModelRegistry } from '../models/registry.js';

export interface CliContext {
  config: Config;
  logger: Logger;
  pool: Pool;
  registry: ModelRegistry;
}

/** Config, logs on stderr (stdout is the command's answer), a migrated database; closed when fn ends. */
export async function withContext<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl, { logger, vectorIndex: config.vectorIndex });
  const pool = createPool(config.databaseUrl);
  try {
    return await fn({ config, logger, pool, registry: new ModelRegistry(pool, config.artifactDir) });
  } finally {
    await pool.end();
  }
}
