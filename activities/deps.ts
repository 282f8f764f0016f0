import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/pool.js';
import type { Logger } from '../src/log.js';

/** What every activity factory is built from; tests pass their own database, logger and config. */
export interface ActivityDeps {
  pool: Pool;
  logger: Logger;
  config: Config;
}
