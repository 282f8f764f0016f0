import { ciEventsRoutes } from '../execution-feedback/ci-events-route.js';
import { applicationRequestsRoutes } from '../learning/application-requests.js';
import { deployableApplications } from '../learning/applications/deployable.js';
import type { MountRoutes } from '../router/mount-routes.js';

/**
 * The features' routes the router serves: the learning cycle's applications always; CI events only given a way to
 * start their processing (the ciFeedback workflow: there is no Temporal without it).
 */
export function featureRoutes(options: { dispatchCiEvent?: (eventId: string) => Promise<void> } = {}): MountRoutes[] {
  const { dispatchCiEvent } = options;
  const routes: MountRoutes[] = [
    (app, { pool, applications, metrics, logger, auth }) => app.register(applicationRequestsRoutes, { pool, catalog: deployableApplications, applications, metrics, logger, auth }),
  ];
  if (dispatchCiEvent) routes.push((app, { pool, logger, auth }) => app.register(ciEventsRoutes, { pool, logger, dispatch: dispatchCiEvent, auth }));
  return routes;
}
