import { createHash } from 'node:crypto';
import type { Weights } from '../db/routing-weights.js';

export const BUCKETS = 10_000;

/** A user's bucket: stable for a key across calls and router processes, uniform over 0..9999. */
export function bucketOf(userKey: string): number {
  return createHash('sha1').update(userKey).digest().readUInt32BE(0) % BUCKETS;
}

/** One servable version; the table hands out the same object for every request it routes there. */
export interface Target {
  readonly modelId: string;
  readonly version: string;
}

interface Route {
  weights: Readonly<Weights>;
  targets: Target[];
  /** Cumulative upper bucket bound per target (percent × 100), so bucket b goes to the first bound above it. */
  bounds: number[];
}

/**
 * In-memory weights: routing never waits on the database. Versions are laid over the buckets in name order, so a
 * user's bucket maps to the same version for as long as the weights are unchanged.
 */
export class RoutingTable {
  private readonly routes = new Map<string, Route>();
  private readonly listeners: ((modelId: string, weights: Readonly<Weights> | undefined) => void)[] = [];

  /** Called after a model's weights changed (undefined: it lost its routes). */
  onChange(listener: (modelId: string, weights: Readonly<Weights> | undefined) => void): void {
    this.listeners.push(listener);
  }

  replaceAll(all: ReadonlyMap<string, Weights>): void {
    for (const modelId of [...this.routes.keys()]) if (!all.has(modelId)) this.set(modelId, undefined);
    for (const [modelId, weights] of all) this.set(modelId, weights);
  }

  set(modelId: string, weights: Weights | undefined): void {
    const before = this.routes.get(modelId);
    if (sameWeights(before?.weights, weights)) return;
    if (!weights || Object.keys(weights).length === 0) {
      this.routes.delete(modelId);
    } else {
      const versions = Object.keys(weights).sort();
      let acc = 0;
      this.routes.set(modelId, {
        weights: Object.freeze(Object.fromEntries(versions.map((v) => [v, weights[v]!]))),
        // Reuse the previous Target objects so per-target caches (metrics children) stay warm across changes.
        targets: versions.map((version) => before?.targets.find((t) => t.version === version) ?? { modelId, version }),
        bounds: versions.map((v) => (acc += weights[v]! * (BUCKETS / 100))),
      });
    }
    const now = this.routes.get(modelId)?.weights;
    for (const listener of this.listeners) listener(modelId, now);
  }

  weights(modelId: string): Readonly<Weights> | undefined {
    return this.routes.get(modelId)?.weights;
  }

  models(): string[] {
    return [...this.routes.keys()];
  }

  /** The serving version: by the user's bucket when a key is given (sticky while the weights hold), else at random by weight. */
  choose(modelId: string, userKey?: string): Target | undefined {
    const route = this.routes.get(modelId);
    if (!route) return undefined;
    const bucket = userKey === undefined ? Math.floor(Math.random() * BUCKETS) : bucketOf(userKey);
    const { bounds, targets } = route;
    for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]!) return targets[i];
    return undefined;
  }
}

function sameWeights(a: Readonly<Weights> | undefined, b: Weights | undefined): boolean {
  const ak = a ? Object.keys(a) : [];
  const bk = b ? Object.keys(b) : [];
  return ak.length === bk.length && ak.every((k) => a![k] === b![k]);
}
