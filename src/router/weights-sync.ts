import pg from 'pg';
import { readRoutes } from '../db/routing-weights.js';
import type { Logger } from '../log.js';
import type { RoutingTable } from './routing-table.js';

export interface WeightsSyncOptions {
  databaseUrl: string;
  table: RoutingTable;
  logger: Logger;
  /** Full re-read interval: the safety net for a notification lost while the listener was reconnecting. */
  resyncMs: number;
  /** First reconnect delay after the listener lost its connection; doubles up to 5 s. */
  reconnectMs?: number;
}

const NOTIFY_CHANNEL = 'routing_weights';

/**
 * Keeps a RoutingTable in step with routing_weights (each row a variant: version and optional context). A dedicated connection LISTENs for the trigger's NOTIFY
 * (payload: the model id) and re-reads the changed models' weights. Every read runs on that same connection,
 * so reads are applied in the order they were issued and a slow older read can never overwrite a newer one;
 * the pool (and its batch writes) are not involved. While the connection is down the table keeps serving the
 * last weights it knew; the listener reconnects with backoff and re-reads everything.
 */
export class WeightsSync {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelay: number;
  private closed = false;
  /** Models named by notifications and not yet re-read. */
  private readonly dirty = new Set<string>();
  private reading = false;

  constructor(private readonly opts: WeightsSyncOptions) {
    this.reconnectDelay = opts.reconnectMs ?? 500;
  }

  /** Connects, LISTENs and loads every model's weights; rejects when the database cannot be reached. */
  async start(): Promise<void> {
    await this.connect();
    this.timer = setInterval(() => void this.resync(), this.opts.resyncMs);
    this.timer.unref();
  }

  /** Re-reads all weights now (a no-op while disconnected: reconnecting re-reads anyway). */
  async resync(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      this.opts.table.replaceAll(await readRoutes(client));
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'weights re-read failed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: 'learnloop-router-listen' });
    client.on('notification', (msg) => {
      if (msg.channel !== NOTIFY_CHANNEL || !msg.payload) return;
      this.dirty.add(msg.payload);
      void this.readDirty();
    });
    const lost = (err?: Error) => this.lost(client, err);
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      // LISTEN before the full read, so a change committed in between is either in the read or notified after it.
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      this.opts.table.replaceAll(await readRoutes(client));
    } catch (err) {
      client.removeAllListeners('end').removeAllListeners('error').on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
  }

  private async readDirty(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      let client: pg.Client | undefined;
      while (this.dirty.size > 0 && (client = this.client)) {
        const models = [...this.dirty];
        this.dirty.clear();
        const routes = await readRoutes(client, models);
        for (const modelId of models) this.opts.table.set(modelId, routes.get(modelId));
      }
    } catch (err) {
      // The connection is failing; reconnecting re-reads every model.
      this.opts.logger.warn({ err: (err as Error).message }, 'weights refresh failed');
    } finally {
      this.reading = false;
    }
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return; // an old connection's late events, or one being closed
    this.client = undefined;
    client.removeAllListeners('end').removeAllListeners('error').on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.opts.logger.warn({ err: err?.message }, 'weights listener lost its connection; serving the last known weights while reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return;
      this.connect().then(
        () => {
          this.reconnectDelay = this.opts.reconnectMs ?? 500;
          this.opts.logger.info('weights listener reconnected');
          // A close() that ran while we were connecting must not leave this connection open.
          if (this.closed) void this.close();
        },
        (err: Error) => {
          this.opts.logger.warn({ err: err.message, retryInMs: this.reconnectDelay }, 'weights listener reconnect failed');
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5_000);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }
}
