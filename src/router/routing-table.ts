import { createHash } from 'node:crypto';
import { variantKey, weightsOf, type VariantRoute, type Weights } from '../db/routing-weights.js';
import { defined } from '../platform/defined.js';

export const BUCKETS = 10_000;

/** A user's bucket: stable for a key across calls and router processes, uniform over 0..9999. */
export function bucketOf(userKey: string): number {
  return createHash('sha1').update(userKey).digest().readUInt32BE(0) % BUCKETS;
}

/** Cumulative upper bucket bounds for shares in percent, in order: bucket b goes to the first share whose bound is above it. */
export function bucketBounds(percents: readonly number[]): number[] {
  let acc = 0;
  return percents.map((p) => (acc += p * (BUCKETS / 100)));
}

/** Which share a bucket falls in (undefined when the shares do not cover it). */
export function shareOf(bounds: readonly number[], bucket: number): number | undefined {
  const i = bounds.findIndex((bound) => bucket < bound);
  return i === -1 ? undefined : i;
}

/** One servable variant; the table hands out the same object for every request it routes there. */
export interface Target {
  readonly modelId: string;
  readonly version: string;
  /** The context version the model is given; both null for a route without one. */
  readonly contextId: string | null;
  readonly contextVersion: number | null;
}

/** What a model's routes are set from: per-version weights (no contexts), or variants. */
export type Routes = Weights | readonly VariantRoute[];

interface Route {
  variants: readonly VariantRoute[];
  weights: Readonly<Weights>;
  targets: Target[];
  /** Cumulative upper bucket bound per target (percent × 100), so bucket b goes to the first bound above it. */
  bounds: number[];
}

function toVariants(routes: Routes | undefined): VariantRoute[] {
  if (!routes) return [];
  const variants = Array.isArray(routes)
    ? (routes as readonly VariantRoute[])
    : Object.entries(routes as Weights).map(([version, percent]) => ({ version, contextId: null, contextVersion: null, percent }));
  return variants.map((v) => ({ ...v })).sort((a, b) => (variantKey(a) < variantKey(b) ? -1 : variantKey(a) > variantKey(b) ? 1 : 0));
}

/**
 * In-memory routes: routing never waits on the database. Variants are laid over the buckets in key order (version,
 * then context), so a user's bucket maps to the same variant for as long as the routes are unchanged.
 */
export class RoutingTable {
  private readonly routes = new Map<string, Route>();
  private readonly listeners: ((modelId: string, weights: Readonly<Weights> | undefined) => void)[] = [];

  /** Called after a model's routes changed, with each version's total weight (undefined: it lost its routes). */
  onChange(listener: (modelId: string, weights: Readonly<Weights> | undefined) => void): void {
    this.listeners.push(listener);
  }

  replaceAll(all: ReadonlyMap<string, Routes>): void {
    for (const modelId of [...this.routes.keys()]) if (!all.has(modelId)) this.set(modelId, undefined);
    for (const [modelId, routes] of all) this.set(modelId, routes);
  }

  set(modelId: string, routes: Routes | undefined): void {
    const before = this.routes.get(modelId);
    const variants = toVariants(routes);
    if (sameVariants(before?.variants ?? [], variants)) return;
    if (variants.length === 0) {
      this.routes.delete(modelId);
    } else {
      this.routes.set(modelId, {
        variants: Object.freeze(variants),
        weights: Object.freeze(weightsOf(variants)),
        // Reuse the previous Target objects so per-target caches (metrics children) stay warm across changes.
        targets: variants.map(
          ({ version, contextId, contextVersion }) =>
            before?.targets.find((t) => variantKey(t) === variantKey({ version, contextId, contextVersion })) ?? {
              modelId,
              version,
              contextId,
              contextVersion,
            },
        ),
        bounds: bucketBounds(variants.map((v) => v.percent)),
      });
    }
    const now = this.routes.get(modelId)?.weights;
    for (const listener of this.listeners) listener(modelId, now);
  }

  /** A model's variants with their percent, in bucket order. */
  variants(modelId: string): readonly VariantRoute[] | undefined {
    return this.routes.get(modelId)?.variants;
  }

  weights(modelId: string): Readonly<Weights> | undefined {
    return this.routes.get(modelId)?.weights;
  }

  models(): string[] {
    return [...this.routes.keys()];
  }

  /** The serving variant: by the user's bucket when a key is given (sticky while the routes hold), else at random by weight. */
  choose(modelId: string, userKey?: string): Target | undefined {
    const route = this.routes.get(modelId);
    if (!route) return undefined;
    const bucket = userKey === undefined ? Math.floor(Math.random() * BUCKETS) : bucketOf(userKey);
    const i = shareOf(route.bounds, bucket);
    return i === undefined ? undefined : route.targets[i];
  }
}

function sameVariants(a: readonly VariantRoute[], b: readonly VariantRoute[]): boolean {
  return (
    a.length === b.length &&
    a.every((r, i) => {
      const other = defined(b[i], 'variant of the same index');
      return variantKey(r) === variantKey(other) && r.percent === other.percent;
    })
  );
}
