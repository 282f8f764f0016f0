import pg from 'pg';
import { readApplicationRoutes } from '../db/application-routes.js';
import { listen, type NotifyChannel } from '../db/notifications.js';
import { readRoutes } from '../db/routing-weights.js';
import type { Logger } from '../log.js';
import type { ApplicationTable } from './application-table.js';
import type { RoutingTable } from './routing-table.js';
import { defined } from '../platform/defined.js';

export interface WeightsSyncOptions {
  databaseUrl: string;
  table: RoutingTable;
  /** The learning cycle's applications, kept in step with application_routes the same way. */
  applications?: ApplicationTable;
  logger: Logger;
  /** Full re-read interval: the safety net for a notification lost while the listener was reconnecting. */
  resyncMs: number;
  /** First reconnect delay after the listener lost its connection; doubles up to 5 s. */
  reconnectMs?: number;
}

/** A table the sync keeps in step: the NOTIFY channel its trigger uses (payload: the key that changed) and its reads. */
interface Feed {
  channel: NotifyChannel;
  readAll(client: pg.Client): Promise<void>;
  readSome(client: pg.Client, keys: string[]): Promise<void>;
}

/**
 * Keeps a RoutingTable in step with routing_weights (each row a variant: version and optional context), and the
 * ApplicationTable with application_routes. A dedicated connection LISTENs for the triggers' NOTIFY (payload: the
 * model id or application) and re-reads what changed. Every read runs on that same connection,
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
  private readonly feeds: Feed[];
  /** Per channel, the keys named by notifications and not yet re-read. */
  private readonly dirty = new Map<string, Set<string>>();
  private reading = false;

  constructor(private readonly opts: WeightsSyncOptions) {
    this.reconnectDelay = opts.reconnectMs ?? 500;
    const { table, applications } = opts;
    this.feeds = [
      {
        channel: 'routing_weights',
        readAll: async (c) => {
          table.replaceAll(await readRoutes(c));
        },
        readSome: async (c, models) => {
          const routes = await readRoutes(c, models);
          for (const modelId of models) table.set(modelId, routes.get(modelId));
        },
      },
    ];
    if (applications) {
      this.feeds.push({
        channel: 'application_routes',
        readAll: async (c) => {
          applications.replaceAll(await readApplicationRoutes(c));
        },
        readSome: async (c, names) => {
          const routes = await readApplicationRoutes(c, names);
          for (const name of names) applications.set(name, routes.get(name));
        },
      });
    }
    for (const f of this.feeds) this.dirty.set(f.channel, new Set());
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
      for (const feed of this.feeds) await feed.readAll(client);
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
      const keys = this.dirty.get(msg.channel);
      if (!keys || !msg.payload) return;
      keys.add(msg.payload);
      void this.readDirty();
    });
    const lost = (err?: Error) => {
      this.lost(client, err);
    };
    client.on('error', lost);
    client.on('end', () => {
      lost();
    });
    try {
      await client.connect();
      // LISTEN before the full read, so a change committed in between is either in the read or notified after it.
      for (const feed of this.feeds) await listen(client, feed.channel);
      for (const feed of this.feeds) await feed.readAll(client);
    } catch (err) {
      client
        .removeAllListeners('end')
        .removeAllListeners('error')
        .on('error', () => undefined);
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
      let feed: Feed | undefined;
      const dirtyKeys = (channel: string): Set<string> => defined(this.dirty.get(channel), `dirty keys of ${channel}`);
      while ((feed = this.feeds.find((f) => dirtyKeys(f.channel).size > 0)) && (client = this.client)) {
        const keys = dirtyKeys(feed.channel);
        const named = [...keys];
        keys.clear();
        await feed.readSome(client, named);
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
    client
      .removeAllListeners('end')
      .removeAllListeners('error')
      .on('error', () => undefined);
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
        (err: unknown) => {
          this.opts.logger.warn({ err: (err as Error).message, retryInMs: this.reconnectDelay }, 'weights listener reconnect failed');
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5_000);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }
}
