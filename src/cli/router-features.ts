import { ciEventsRoutes } from '../execution-feedback/ci-events-route.js';
import { readContext } from '../execution-feedback/context-store.js';
import { applicationRequestsRoutes } from '../learning/application-requests.js';
import { deployableApplications } from '../learning/applications/deployable.js';
import type { MountRoutes, RouterFeatures } from '../router/features.js';

/**
 * What the features give the router: the context documents that routes name (execution feedback's store), the
 * learning cycle's application requests route always, and the CI events route only given a way to start their
 * processing (the ciFeedback workflow: there is no Temporal without it).
 */
export function routerFeatures(options: { dispatchCiEvent?: (eventId: string) => Promise<void> } = {}): RouterFeatures {
  const { dispatchCiEvent } = options;
  const routes: MountRoutes[] = [
    (app, { pool, applications, metrics, logger, auth }) =>
      app.register(applicationRequestsRoutes, { pool, catalog: deployableApplications, applications, metrics, logger, auth }),
  ];
  if (dispatchCiEvent) {
    // register queues the plugin (fastify loads it before listening); its thenable is not the mount's to await.
    routes.push((app, { pool, logger, auth }) => {
      void app.register(ciEventsRoutes, { pool, logger, dispatch: dispatchCiEvent, auth });
    });
  }
  return { routes, readContext: async (pool, contextId, version) => (await readContext(pool, contextId, version)).document };
}
