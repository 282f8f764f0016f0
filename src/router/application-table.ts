import type { ApplicationRoute } from '../db/application-routes.js';
import { bucketBounds, bucketOf, shareOf } from './routing-table.js';
import { defined } from '../platform/defined.js';

/** One application's routes as the router holds them: a snapshot that a later change never alters. */
export interface DeployedApplication {
  /** In variant order, which is also bucket order. */
  readonly routes: readonly ApplicationRoute[];
  /** The variant that answers a user live (sticky while the routes hold); one of `routes`. */
  live(userKey: string): ApplicationRoute;
}

/**
 * In memory, the applications deployed behind this router (kept in step with application_routes by the sync).
 * A user's bucket picks the live variant; every other variant answers the same request in shadow.
 */
export class ApplicationTable {
  private readonly entries = new Map<string, DeployedApplication>();

  replaceAll(all: ReadonlyMap<string, readonly ApplicationRoute[]>): void {
    for (const application of [...this.entries.keys()]) if (!all.has(application)) this.entries.delete(application);
    for (const [application, routes] of all) this.set(application, routes);
  }

  set(application: string, routes: readonly ApplicationRoute[] | undefined): void {
    if (!routes || routes.length === 0) {
      this.entries.delete(application);
      return;
    }
    const sorted = Object.freeze([...routes].sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0)));
    // The database checks at commit that the shares sum to 100, so every bucket falls in one of them.
    const bounds = bucketBounds(sorted.map((r) => r.percent));
    this.entries.set(application, {
      routes: sorted,
      live: (userKey) => defined(sorted[defined(shareOf(bounds, bucketOf(userKey)), 'share of the bucket')], 'route of the share'),
    });
  }

  applications(): string[] {
    return [...this.entries.keys()].sort();
  }

  get(application: string): DeployedApplication | undefined {
    return this.entries.get(application);
  }
}
