import type { ApplicationRoute } from '../db/application-routes.js';
import { BUCKETS, bucketOf } from './routing-table.js';

interface Entry {
  routes: readonly ApplicationRoute[];
  /** Cumulative upper bucket bound per route, as in the model routing table. */
  bounds: number[];
}

/**
 * In memory, the applications deployed behind this router (kept in step with application_routes by the sync).
 * A user's bucket picks the live variant; every other variant answers the same request in shadow.
 */
export class ApplicationTable {
  private readonly entries = new Map<string, Entry>();

  replaceAll(all: ReadonlyMap<string, readonly ApplicationRoute[]>): void {
    for (const application of [...this.entries.keys()]) if (!all.has(application)) this.entries.delete(application);
    for (const [application, routes] of all) this.set(application, routes);
  }

  set(application: string, routes: readonly ApplicationRoute[] | undefined): void {
    if (!routes || routes.length === 0) {
      this.entries.delete(application);
      return;
    }
    const sorted = [...routes].sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
    let acc = 0;
    this.entries.set(application, { routes: Object.freeze(sorted), bounds: sorted.map((r) => (acc += r.percent * (BUCKETS / 100))) });
  }

  applications(): string[] {
    return [...this.entries.keys()].sort();
  }

  routes(application: string): readonly ApplicationRoute[] | undefined {
    return this.entries.get(application)?.routes;
  }

  /** The live variant for a user (sticky while the routes hold). */
  choose(application: string, userKey: string): ApplicationRoute | undefined {
    const entry = this.entries.get(application);
    if (!entry) return undefined;
    const bucket = bucketOf(userKey);
    return entry.routes.find((_, i) => bucket < entry.bounds[i]!);
  }
}
