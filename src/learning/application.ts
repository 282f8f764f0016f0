import type { RequestOutcome } from './outcomes.js';
import type { RequirementsDocument } from './requirements.js';

export interface WindowTraffic {
  /** Names the window; the same name regenerates the same requests (ids, users, inputs). */
  window: string;
  requests: number;
  seed: number;
}

/** One request as a client sends it to the router. */
export interface ClientRequest {
  requestId: string;
  userKey: string;
  input: Record<string, unknown>;
}

/**
 * An application the learning cycle deploys behind the router, sends its users' requests to and refines the
 * requirements of. The examples provide them (src/learning/applications/deployable.ts); the entry point passes them
 * to the learning activities and the router's application routes, so neither knows an application by name.
 */
export interface Application {
  id: string;
  /** variants[0] is the baseline the others are compared with. */
  variants: readonly [string, ...string[]];
  initialRequirements: RequirementsDocument;
  /** One window of its users' requests: ids derive from the window, so a resent window is the same requests. */
  windowRequests(traffic: WindowTraffic): ClientRequest[];
  /** One variant's answer to a client request under a requirements document, as the router stores it. */
  serve(doc: RequirementsDocument, variant: string, request: Pick<ClientRequest, 'requestId' | 'input'>): RequestOutcome;
}
