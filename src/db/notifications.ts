import type pg from 'pg';

/** Channels the migrations' triggers NOTIFY on, the changed row's key as the payload. */
export type NotifyChannel = 'routing_weights' | 'application_routes';

/** Subscribes a dedicated connection to a channel; notifications arrive as its 'notification' events. */
export async function listen(client: pg.ClientBase, channel: NotifyChannel): Promise<void> {
  await client.query(`LISTEN ${channel}`);
}
