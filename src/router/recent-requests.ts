import type { Pool } from '../db/pool.js';
import type { Target } from './routing-table.js';

/**
 * Which version served a request, for storing its feedback: recent ids from memory (their rows may still be in
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
      this.served.delete(this.served.keys().next().value!);
    }
    this.served.set(requestId, target);
  }

  /** Rejects when the request is not in memory and the database cannot be asked. */
  async lookup(requestId: string): Promise<Target | undefined> {
    const hit = this.served.get(requestId);
    if (hit) return hit;
    const { rows } = await this.pool.query<{ model_id: string; version: string }>(
      'SELECT model_id, version FROM inference_requests WHERE request_id = $1',
      [requestId],
    );
    return rows[0] && { modelId: rows[0].model_id, version: rows[0].version };
  }
}
