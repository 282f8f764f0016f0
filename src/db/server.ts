import type { Db } from './pool.js';
import { defined } from '../platform/defined.js';

/** What `learnloop doctor` reports of a server, read over a connection to its `postgres` database. */
export async function describeServer(
  db: Db,
  databaseName: string,
): Promise<{ version: string; vectorVersion: string | undefined; databaseExists: boolean }> {
  const {
    rows: [server],
  } = await db.query<{ version: string }>("SELECT current_setting('server_version') AS version");
  const {
    rows: [vector],
  } = await db.query<{ default_version: string }>("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
  const { rowCount } = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
  return { version: defined(server, 'server_version row').version, vectorVersion: vector?.default_version, databaseExists: !!rowCount };
}
