import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/pool.js';
import type { Logger } from '../src/log.js';

export interface ActivityDeps {
  pool: Pool;
  logger: Logger;
  config: Config;
}

/** Every activity the `learnloop` worker serves, built from its dependencies so tests can inject their own. */
export function createActivities(_deps: ActivityDeps) {
  return {};
}
