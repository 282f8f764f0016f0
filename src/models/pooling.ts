import { defined } from '../platform/defined.js';

/**
 * Mean pooling over the real tokens followed by L2 normalisation, as sentence-transformers' Pooling(mean) +
 * Normalize modules compute it for all-MiniLM-L6-v2.
 *
 * `hidden` is the row-major [batch, seqLen, dim] last_hidden_state. Sequences are right-padded, so the attention
 * mask of row b is `lengths[b]` ones followed by zeros: summing the first `lengths[b]` token rows equals the masked
 * sum without touching the mask or the padded positions.
 */
export function meanPoolNormalize(hidden: Float32Array, lengths: ArrayLike<number>, seqLen: number, dim: number): Float32Array[] {
  const batch = lengths.length;
  if (hidden.length !== batch * seqLen * dim) {
    throw new RangeError(`hidden state has ${hidden.length} values, expected ${batch}×${seqLen}×${dim}`);
  }
  const acc = new Float64Array(dim);
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const len = defined(lengths[b], 'sequence length');
    acc.fill(0);
    let offset = b * seqLen * dim;
    for (let t = 0; t < len; t++, offset += dim) {
      for (let k = 0; k < dim; k++) acc[k] = defined(acc[k], 'accumulator') + defined(hidden[offset + k], 'hidden state value');
    }
    // Same guards as the reference: mean divides by clamp(count, 1e-9), normalize by max(norm, 1e-12).
    const inv = 1 / Math.max(len, 1e-9);
    let sq = 0;
    for (let k = 0; k < dim; k++) {
      const m = defined(acc[k], 'accumulator') * inv;
      acc[k] = m;
      sq += m * m;
    }
    const scale = 1 / Math.max(Math.sqrt(sq), 1e-12);
    const v = new Float32Array(dim);
    for (let k = 0; k < dim; k++) v[k] = defined(acc[k], 'accumulator') * scale;
    out.push(v);
  }
  return out;
}

/** Cosine similarity of two equal-length vectors. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = defined(a[i], 'vector element');
    const y = defined(b[i], 'vector element');
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.max(Math.sqrt(na * nb), 1e-12);
}
