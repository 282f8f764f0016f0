import { randomUUID } from 'node:crypto';
import type { Pool } from '../../src/db/pool.js';

export interface SeededExample {
  modelId?: string;
  version?: string;
  text?: string;
  output?: unknown;
  error?: string | null;
  /** Feedback; omit for a request nobody checked. */
  passRate?: number;
  variance?: number;
  /** How long before now() the request (and its feedback) happened. */
  age?: string;
}

/** Writes one production request with its feedback, as the router would have, and returns its id. */
export async function seedExample(pool: Pool, e: SeededExample = {}): Promise<string> {
  const id = randomUUID();
  const modelId = e.modelId ?? 'm';
  const version = e.version ?? 'v1';
  const age = e.age ?? '1 hour';
  const output = e.output === undefined ? { template: 'rest-endpoint' } : e.output;
  await pool.query(
    `INSERT INTO inference_requests (request_id, model_id, version, input, output, latency_ms, error, at)
     VALUES ($1, $2, $3, $4, $5, 3, $6, now() - $7::interval)`,
    [
      id,
      modelId,
      version,
      JSON.stringify({ text: e.text ?? `requirement ${id}` }),
      output === null ? null : JSON.stringify(output),
      e.error ?? null,
      age,
    ],
  );
  if (e.passRate !== undefined) {
    await pool.query(
      `INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance, at)
       VALUES ($1, $2, $3, $4, $5, now() - $6::interval)`,
      [id, modelId, version, e.passRate, e.variance ?? 0, age],
    );
  }
  return id;
}

/** A model row: phase4_training_data refers to it. */
export async function seedModel(pool: Pool, modelId = 'm'): Promise<void> {
  await pool.query('INSERT INTO models (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [modelId]);
}
