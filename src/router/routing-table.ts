import { createHash } from 'node:crypto';
import type { Weights } from '../db/routing-weights.js';

export const BUCKETS = 10_000;

/** A user's bucket: stable for a key, uniform over 0..9999. */
export function bucketOf(userKey: string): number {
  return createHash('sha1').update(userKey).digest().readUInt32BE(0) % BUCKETS;
}

interface Route {
  versions: string[];
  /** Cumulative upper bucket bound per version (percent × 100). */
  bounds: number[];
}

/** In-memory weights: routing never waits on the database. */
export class RoutingTable {
  private readonly routes = new Map<string, Route>();

  replaceAll(all: Map<string, Weights>): void {
    for (const modelId of [...this.routes.keys()]) if (!all.has(modelId)) this.routes.delete(modelId);
    for (const [modelId, weights] of all) this.set(modelId, weights);
  }

  set(modelId: string, weights: Weights | undefined): void {
    if (!weights || Object.keys(weights).length === 0) {
      this.routes.delete(modelId);
      return;
    }
    const versions = Object.keys(weights).sort();
    let acc = 0;
    const bounds = versions.map((v) => (acc += weights[v]! * (BUCKETS / 100)));
    this.routes.set(modelId, { versions, bounds });
  }

  weights(modelId: string): Weights | undefined {
    const route = this.routes.get(modelId);
    if (!route) return undefined;
    return Object.fromEntries(route.versions.map((v, i) => [v, (route.bounds[i]! - (route.bounds[i - 1] ?? 0)) / 100]));
  }

  models(): string[] {
    return [...this.routes.keys()];
  }

  /** The serving version: by the user's bucket when a key is given (sticky while weights hold), else at random. */
  choose(modelId: string, userKey?: string): string | undefined {
    const route = this.routes.get(modelId);
    if (!route) return undefined;
    const bucket = userKey === undefined ? Math.floor(Math.random() * BUCKETS) : bucketOf(userKey);
    for (let i = 0; i < route.bounds.length; i++) if (bucket < route.bounds[i]!) return route.versions[i];
    return undefined;
  }
}
