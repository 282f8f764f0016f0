import { seededRandom } from '../../src/training/random.js';

/**
 * Unit vectors around one random centre per class: training data whose right answer is known, for testing the
 * trainer's mechanics without the sentence encoder (the reference build's test uses the real one).
 */
export function clusters(opts: { classes: number; perClass: number; dim: number; spread: number; seed: number }): {
  embeddings: Float32Array[];
  targets: number[];
} {
  const rand = seededRandom(opts.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const unit = (v: Float32Array) => {
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const centres = Array.from({ length: opts.classes }, () => unit(Float32Array.from({ length: opts.dim }, gaussian)));
  const embeddings: Float32Array[] = [];
  const targets: number[] = [];
  for (let i = 0; i < opts.classes * opts.perClass; i++) {
    const c = i % opts.classes;
    embeddings.push(unit(centres[c]!.map((x) => x + opts.spread * gaussian())));
    targets.push(c);
  }
  return { embeddings, targets };
}
