import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config.js';

/**
 * A client of the Temporal server the platform runs on: TEMPORAL_ADDRESS, or the dev server `learnloop up` starts
 * on TEMPORAL_PORT. The CLI never starts a server of its own: a rollout started on a throwaway server would vanish.
 */
export async function withTemporalClient<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${address} (${(err as Error).message}); start it with \`learnloop up\` or set TEMPORAL_ADDRESS`,
      { cause: err },
    );
  }
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }), config);
  } finally {
    await connection.close();
  }
}
