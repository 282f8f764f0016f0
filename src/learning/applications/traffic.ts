import { seededRandom } from '../../reference/random.js';
import type { RequestOutcome } from '../outcomes.js';
import type { RequirementsDocument } from '../requirements.js';
import { nameUuid, serve, type SimulatedApplication } from './serve.js';

export interface WindowTraffic {
  /** Names the window; the same name regenerates the same requests (ids, inputs, answers). */
  window: string;
  requests: number;
  seed: number;
}

/**
 * One window of production traffic for an application: each input is served by every variant (the baseline
 * answers in shadow), so the variants can be compared on the same inputs.
 */
export function simulateWindow(app: SimulatedApplication, doc: RequirementsDocument, traffic: WindowTraffic): RequestOutcome[] {
  const rand = seededRandom(traffic.seed ^ hashSeed(`${app.id}/${traffic.window}`));
  const outcomes: RequestOutcome[] = [];
  for (let i = 0; i < traffic.requests; i++) {
    const input = app.input(rand);
    for (const variant of app.variants) {
      outcomes.push(serve(app, doc, variant, nameUuid(`${traffic.window}/${app.id}/${i}/${variant}/v${doc.version}`), input));
    }
  }
  return outcomes;
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
