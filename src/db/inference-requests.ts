import type { Db } from './pool.js';
import { defined } from '../platform/defined.js';

/** An inference_requests row as the router writes it. */
export interface InferenceRequestRecord {
  requestId: string;
  modelId: string;
  version: string;
  userKey: string | null;
  input: unknown;
  output: unknown;
  latencyMs: number;
  error: string | null;
  /** Epoch milliseconds. */
  at: number;
  /** The serving variant's context (absent or null: none). */
  contextId?: string | null;
  contextVersion?: number | null;
  /** process.cpuUsage() user+system delta around the prediction, in ms (the whole process: overlapping requests count too). */
  cpuMs?: number | null;
  /** The serving process's resident set size when the prediction finished (see src/router/app.ts for why not a heap delta). */
  memoryBytes?: number | null;
}

/** A feedback row as the router writes it. */
export interface FeedbackRecord {
  requestId: string;
  modelId: string;
  version: string;
  testPassRate: number;
  implementationVariance: number;
  latencyMs: number | null;
  error: string | null;
  /** Epoch milliseconds. */
  at: number;
}

// Rows travel as one JSON array, expanded by jsonb_to_recordset whose column names are the row objects' keys:
// V8 serializes a batch natively in one call, where per-column parameter arrays would be escaped element by
// element in JS on the router's event loop.

/** One multi-row insert; a row stored already (a batch retried after its commit's answer was lost) is skipped. */
export async function insertInferenceRequests(db: Db, rows: readonly InferenceRequestRecord[]): Promise<void> {
  await db.query(
    `INSERT INTO inference_requests (request_id, model_id, version, user_key, input, output, latency_ms, error, at,
    context_id, context_version, cpu_ms, memory_bytes)
  SELECT "requestId", "modelId", version, "userKey", input, output, "latencyMs", error, to_timestamp(at / 1000.0),
    "contextId", "contextVersion", "cpuMs", "memoryBytes"
  FROM jsonb_to_recordset($1::jsonb) AS r("requestId" uuid, "modelId" text, version text, "userKey" text, input jsonb,
    output jsonb, "latencyMs" real, error text, at double precision, "contextId" text, "contextVersion" integer,
    "cpuMs" real, "memoryBytes" bigint)
  ON CONFLICT (request_id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/** One multi-row insert; a row stored already is skipped. */
export async function insertFeedback(db: Db, rows: readonly FeedbackRecord[]): Promise<void> {
  await db.query(
    `INSERT INTO feedback (request_id, model_id, version, test_pass_rate, implementation_variance, latency_ms, error, at)
  SELECT "requestId", "modelId", version, "testPassRate", "implementationVariance", "latencyMs", error, to_timestamp(at / 1000.0)
  FROM jsonb_to_recordset($1::jsonb) AS r("requestId" uuid, "modelId" text, version text, "testPassRate" real,
    "implementationVariance" real, "latencyMs" real, error text, at double precision)
  ON CONFLICT (request_id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

export interface ServedVariantRow {
  model_id: string;
  version: string;
  context_id: string | null;
  context_version: number | null;
}

/** Which model version and context served a stored request. */
export async function readServedVariant(db: Db, requestId: string): Promise<ServedVariantRow | undefined> {
  const { rows } = await db.query<ServedVariantRow>(
    'SELECT model_id, version, context_id, context_version FROM inference_requests WHERE request_id = $1',
    [requestId],
  );
  return rows[0];
}

/** Requests a model served over the last 24 hours. */
export async function countRequestsLastDay(db: Db, modelId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM inference_requests WHERE model_id = $1 AND at > now() - interval '24 hours'`,
    [modelId],
  );
  return defined(rows[0], 'inference_requests count row').n;
}

/** The input text of each request found, by request id; null where its input has none. */
export async function readInputTexts(db: Db, requestIds: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await db.query<{ id: string; text: string | null }>(
    `SELECT request_id::text AS id, input ->> 'text' AS text FROM inference_requests WHERE request_id = ANY($1::uuid[])`,
    [requestIds],
  );
  return new Map(rows.map((r) => [r.id, r.text]));
}

/** Per version of a model, the requests of the last `seconds` and their feedback (counts as text, pg's bigint). */
export async function readRecentTrafficByVersion(
  db: Db,
  modelId: string,
  seconds: number,
): Promise<{ version: string; requests: string; feedback: string; pass_rate: number | null }[]> {
  const { rows } = await db.query<{ version: string; requests: string; feedback: string; pass_rate: number | null }>(
    `SELECT r.version, count(*) AS requests, count(f.request_id) AS feedback, avg(f.test_pass_rate) AS pass_rate
       FROM inference_requests r LEFT JOIN feedback f USING (request_id)
      WHERE r.model_id = $1 AND r.at > now() - make_interval(secs => $2)
      GROUP BY r.version ORDER BY r.version`,
    [modelId, seconds],
  );
  return rows;
}

/** Moves every stored request and feedback `days` into the past, in one transaction: benchmarks age traffic with it. */
export async function ageTraffic(db: Db, days: number): Promise<void> {
  const interval = `interval '${Math.trunc(days)} days'`;
  await db.query(`UPDATE feedback SET at = at - ${interval}; UPDATE inference_requests SET at = at - ${interval}`);
}

/** How many of these requests have a row in `table` (inference requests stored, or feedback stored for them). */
export async function countStoredRows(db: Db, table: 'inference_requests' | 'feedback', requestIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE request_id = ANY($1::uuid[])`, [
    requestIds,
  ]);
  return rows[0]?.n ?? 0;
}
