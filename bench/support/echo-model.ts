import type { Pool } from '../../src/db/pool.js';
import type { Predictor } from '../../src/models/predictor.js';

/**
 * Catalogue rows for a model whose versions are never loaded (no artifact behind them): enough for
 * routing_weights' foreign key, for tests where no model runs.
 */
export async function catalogueVersions(pool: Pool, modelId: string, versions: string[]): Promise<void> {
  await pool.query('INSERT INTO models (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [modelId]);
  for (const version of versions) {
    await pool.query(
      `INSERT INTO model_versions (model_id, version, artifact_uri, sha256) VALUES ($1, $2, 'none://', repeat('0', 64))
       ON CONFLICT DO NOTHING`,
      [modelId, version],
    );
  }
}

/**
 * A Predictor double that answers with the version's name as the label. Only for tests where which model
 * answers plays no part (traffic split, buffering): running the real encoder for thousands of requests
 * would take minutes on this machine, and the routing decision is made before any model runs.
 */
export const versionEchoPredictor: Predictor = {
  async predict(_modelId, version) {
    return { label: version, confidence: 1, probabilities: [1] };
  },
};
