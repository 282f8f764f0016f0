import { seededRandom } from '../../training/random.js';
import type { ClientRequest, WindowTraffic } from '../application.js';
import type { RequestOutcome } from '../outcomes.js';
import type { RequirementsDocument } from '../requirements.js';
import { hashUnit, nameUuid, serve, type SimulatedApplication } from './serve.js';

/** Users a simulated window's requests come from; each keeps its variant while the routes hold. */
const USERS = 500;

/** One window of simulated production traffic: ids derive from the window, so a resent window is the same requests. */
export function windowRequests(app: SimulatedApplication, traffic: WindowTraffic): ClientRequest[] {
  const rand = seededRandom(traffic.seed ^ hashSeed(`${app.id}/${traffic.window}`));
  return Array.from({ length: traffic.requests }, (_, i) => {
    const requestId = nameUuid(`${traffic.window}/${app.id}/${i}`);
    return { requestId, userKey: `user-${Math.floor(hashUnit(`${requestId}/user`) * USERS)}`, input: app.input(rand) };
  });
}

/**
 * One variant's answer to a client request, as the router stores it (live or in shadow): the answer's id derives
 * from the request's and the variant, so a resent request is stored once.
 */
export function serveRequest(
  app: SimulatedApplication,
  doc: RequirementsDocument,
  variant: string,
  request: Pick<ClientRequest, 'requestId' | 'input'>,
): RequestOutcome {
  return serve(app, doc, variant, nameUuid(`${request.requestId}/${variant}`), request.input);
}

/** A window served in process, every variant answering every input: the router's outcomes without the router (benchmarks, unit tests). */
export function simulateWindow(app: SimulatedApplication, doc: RequirementsDocument, traffic: WindowTraffic): RequestOutcome[] {
  return windowRequests(app, traffic).flatMap((r) => app.variants.map((variant) => serveRequest(app, doc, variant, r)));
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
