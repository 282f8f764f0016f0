import { DUPLICATE_SIMILARITY } from './criteria.js';
import type { UsedNeighbour } from './embedding-store.js';
import { defined } from '../platform/defined.js';

export interface EmbeddedCandidate {
  requestId: string;
  embedding: Float32Array;
}

export interface DroppedExample {
  requestId: string;
  /** The kept candidate or already-used example it duplicates. */
  duplicateOf: string;
  against: 'kept' | 'used';
  similarity: number;
}

export interface DeduplicationResult {
  kept: string[];
  dropped: DroppedExample[];
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = defined(a[i], 'vector component');
    const y = defined(b[i], 'vector component');
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Greedy, in the order given (best first): a candidate is dropped when it is at least `threshold`-similar to an
 * example already trained on (`nearestUsed[i]`, from the index) or to a candidate kept before it. The kept set is
 * at most a run's few hundred examples, so it is compared exactly.
 */
export function deduplicate(
  candidates: readonly EmbeddedCandidate[],
  nearestUsed: readonly (UsedNeighbour | null)[],
  threshold: number = DUPLICATE_SIMILARITY,
): DeduplicationResult {
  if (nearestUsed.length !== candidates.length) {
    throw new Error(`nearestUsed has ${nearestUsed.length} entries for ${candidates.length} candidates`);
  }
  const kept: EmbeddedCandidate[] = [];
  const dropped: DroppedExample[] = [];
  candidates.forEach((c, i) => {
    const used = nearestUsed[i];
    if (used && used.similarity >= threshold) {
      dropped.push({ requestId: c.requestId, duplicateOf: used.requestId, against: 'used', similarity: used.similarity });
      return;
    }
    let best: { requestId: string; similarity: number } | undefined;
    for (const k of kept) {
      const similarity = cosineSimilarity(c.embedding, k.embedding);
      if (similarity >= threshold && (!best || similarity > best.similarity)) best = { requestId: k.requestId, similarity };
    }
    if (best) dropped.push({ requestId: c.requestId, duplicateOf: best.requestId, against: 'kept', similarity: best.similarity });
    else kept.push(c);
  });
  return { kept: kept.map((k) => k.requestId), dropped };
}
