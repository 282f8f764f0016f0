import type { Pool } from '../db/pool.js';
import type { ContextDocument } from '../experiments/context-document.js';
import { readContext } from '../experiments/context-store.js';

/**
 * Context documents by (id, version), read from `contexts` once: a version never changes, so a cached one is never
 * stale. A failed read is not cached, so the next request tries again.
 */
export class ContextCache {
  private readonly documents = new Map<string, Promise<ContextDocument>>();

  constructor(private readonly pool: Pool) {}

  get(contextId: string, version: number): Promise<ContextDocument> {
    const key = `${contextId}@${version}`;
    let doc = this.documents.get(key);
    if (!doc) {
      doc = readContext(this.pool, contextId, version).then((c) => Object.freeze(c.document));
      doc.catch(() => this.documents.delete(key));
      this.documents.set(key, doc);
    }
    return doc;
  }
}
