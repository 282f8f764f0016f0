import { parseSettings } from '../../src/training/fine-tune.js';
import { clusters } from './clusters.js';

/** The run the resume tests interrupt: 4 separable classes, 60 weighted examples, 4 epochs of the specs' loop. */
export function resumeTestRun() {
  const labels = ['alpha', 'beta', 'gamma', 'delta'];
  const dim = 64;
  const data = clusters({ classes: 4, perClass: 15, dim, spread: 0.3, seed: 11 });
  const examples = data.embeddings.map((embedding, i) => ({ embedding, label: labels[data.targets[i]!]!, weight: 0.75 + (i % 5) * 0.05 }));
  // Patience above the epoch count: every run does all 4 epochs, so step counts compare exactly.
  const settings = parseSettings({ epochs: 4, learningRate: 1e-2, seed: 3, earlyStoppingPatience: 5 });
  return { labels, dim, examples, settings };
}
