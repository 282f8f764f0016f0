import type { Application } from '../application.js';
import { simulatedApplications } from './catalog.js';
import { serveRequest, windowRequests } from './traffic.js';

/** The simulated applications as the learning cycle and the router take them: what the entry points pass in. */
export const deployableApplications: readonly Application[] = simulatedApplications.map((app) => ({
  id: app.id,
  variants: app.variants,
  initialRequirements: app.initialRequirements,
  windowRequests: (traffic) => windowRequests(app, traffic),
  serve: (doc, variant, request) => serveRequest(app, doc, variant, request),
}));
