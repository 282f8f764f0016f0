import { insertModelVersion } from '../../src/db/model-versions.js';
import { withTransaction, type Pool } from '../../src/db/pool.js';
import type { Predictor } from '../../src/models/predictor.js';

/**
 * Catalogue rows for a model whose versions are never loaded (no artifact behind them): enough for
 * routing_weights' foreign key, for tests where no model runs.
 */
export async function catalogueVersions(pool: Pool, modelId: string, versions: string[]): Promise<void> {
  for (const version of versions) {
    await withTransaction(pool, (c) =>
      insertModelVersion(c, { modelId, version, artifactUri: 'none://', sha256: '0'.repeat(64), metrics: {}, metadata: {} }),
    );
  }
}

/**
 * A Predictor double that answers with the version's name as the label. Only for tests where which model
 * answers plays no part (traffic split, buffering): running the real encoder for thousands of requests
 * would take minutes on this machine, and the routing decision is made before any model runs.
 */
export const versionEchoPredictor: Predictor = {
  predict(_modelId, version) {
    return Promise.resolve({ label: version, confidence: 1, probabilities: [1] });
  },
};
