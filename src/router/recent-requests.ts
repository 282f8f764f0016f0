import { readServedVariant } from '../db/inference-requests.js';
import type { Pool } from '../db/pool.js';
import type { Target } from './routing-table.js';

/**
 * Which variant served a request, for storing its feedback: recent ids from memory (their rows may still be in
 * the batch buffer, so `capacity` must be at least the buffer's row bound), older ones from the database.
 */
export class RecentRequests {
  private readonly served = new Map<string, Target>();

  constructor(
    private readonly pool: Pool,
    private readonly capacity: number,
  ) {}

  remember(requestId: string, target: Target): void {
    if (this.served.size >= this.capacity) {
      // Maps iterate in insertion order: the first key is the oldest.
      const oldest = this.served.keys().next();
      if (!oldest.done) this.served.delete(oldest.value);
    }
    this.served.set(requestId, target);
  }

  /** Rejects when the request is not in memory and the database cannot be asked. */
  async lookup(requestId: string): Promise<Target | undefined> {
    const hit = this.served.get(requestId);
    if (hit) return hit;
    const r = await readServedVariant(this.pool, requestId);
    return r && { modelId: r.model_id, version: r.version, contextId: r.context_id, contextVersion: r.context_version };
  }
}
