import type { FastifyInstance } from 'fastify';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { ContextDocument } from '../models/context-document.js';
import type { ApplicationTable } from './application-table.js';
import type { RouterMetrics } from './metrics.js';

/** The router's parts a feature's routes may use. */
export interface RouterParts {
  pool: Pool;
  applications: ApplicationTable;
  metrics: RouterMetrics;
  logger: Logger;
  /** Whether the router checks a bearer token (routes then declare 401). */
  auth: boolean;
}

/** Registers a feature's routes on the router. */
export type MountRoutes = (app: FastifyInstance, router: RouterParts) => void;

/**
 * What the router takes from the features above it. It serves models and knows no feature: the entry point that
 * composes it passes these in (src/cli/router-features.ts).
 */
export interface RouterFeatures {
  /** Mounted after the model routes, in this order. */
  routes: readonly MountRoutes[];
  /** The context document a route names (contextId at a version), given to the predictor with each request. */
  readContext(pool: Pool, contextId: string, version: number): Promise<ContextDocument>;
}
