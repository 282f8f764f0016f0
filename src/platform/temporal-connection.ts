import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { installTemporalRuntimeLogger } from '../temporal/runtime-logger.js';

export interface TemporalHandle {
  address: string;
  /** Where the Web UI is, when learnloop started the server itself. */
  uiUrl?: string;
  client: Client;
  workerConnection: NativeConnection;
  close(): Promise<void>;
}

/**
 * The configured Temporal server (TEMPORAL_ADDRESS), or a dev server learnloop starts itself and persists
 * under LEARNLOOP_HOME when none is configured.
 */
export async function connectTemporal(config: Config, logger: Logger): Promise<TemporalHandle> {
  installTemporalRuntimeLogger(logger);
  let devServer: DevServer | undefined;
  let address = config.temporal.address;
  if (!address) {
    devServer = await startDevServer({
      home: config.home,
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      searchPath: config.searchPath,
      logger,
    });
    address = devServer.address;
  }
  try {
    const connection = await Connection.connect({ address });
    if (!devServer) {
      const added = await ensureSearchAttributes(connection, config.temporal.namespace);
      if (added.length > 0) logger.info({ added }, 'registered search attributes');
    }
    const workerConnection = await NativeConnection.connect({ address });
    return {
      address,
      uiUrl: devServer?.uiUrl,
      client: new Client({ connection, namespace: config.temporal.namespace }),
      workerConnection,
      async close() {
        await workerConnection.close();
        await connection.close();
        await devServer?.stop();
      },
    };
  } catch (err) {
    await devServer?.stop();
    throw err;
  }
}
