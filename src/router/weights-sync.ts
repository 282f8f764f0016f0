import pg from 'pg';
import type { Pool } from '../db/pool.js';
import { readWeights } from '../db/routing-weights.js';
import type { Logger } from '../log.js';
import type { RoutingTable } from './routing-table.js';

/**
 * Keeps a RoutingTable in step with routing_weights: LISTEN for the trigger's NOTIFY (sub-second), plus a full
 * re-read every `resyncMs` as a safety net for notifications lost while the listener was reconnecting.
 */
export class WeightsSync {
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly opts: { databaseUrl: string; pool: Pool; table: RoutingTable; logger: Logger; resyncMs?: number },
  ) {}

  async start(): Promise<void> {
    await this.resync();
    await this.listen();
    this.timer = setInterval(() => void this.resync().catch((err) => this.opts.logger.warn({ err }, 'weights re-read failed')), this.opts.resyncMs ?? 10_000);
    this.timer.unref();
  }

  async resync(): Promise<void> {
    this.opts.table.replaceAll(await readWeights(this.opts.pool));
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: 'learnloop-router-listen' });
    client.on('notification', (msg) => {
      const modelId = msg.payload;
      if (!modelId) return;
      readWeights(this.opts.pool, modelId)
        .then((w) => this.opts.table.set(modelId, w.get(modelId)))
        .catch((err) => this.opts.logger.warn({ err, modelId }, 'weights refresh failed'));
    });
    client.on('error', (err) => {
      this.opts.logger.warn({ err: err.message }, 'weights listener lost its connection; reconnecting');
      this.reconnect(client);
    });
    await client.connect();
    await client.query('LISTEN routing_weights');
    this.listener = client;
  }

  private reconnect(old: pg.Client): void {
    void old.end().catch(() => undefined);
    if (this.closed) return;
    setTimeout(() => {
      if (this.closed) return;
      this.listen()
        .then(() => this.resync())
        .catch(() => this.reconnect(this.listener ?? old));
    }, 1_000).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.listener?.end().catch(() => undefined);
  }
}
