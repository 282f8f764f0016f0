import type { ApplicationRoute } from './application-routes.js';
import type { Db } from './pool.js';

/** The stored document of one version, or of the latest when `version` is absent. */
export async function readRequirementsDocument(db: Db, application: string, version?: number): Promise<unknown> {
  const { rows } = await db.query<{ document: unknown }>(
    `SELECT document FROM requirements WHERE application = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1`,
    [application, version ?? null],
  );
  return rows[0]?.document;
}

/** Inserts a version (the whole document, keyed by its application and version); false when that version exists already (from whichever writer). */
export async function insertRequirements(db: Db, doc: { application: string; version: number }, cycleId: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO requirements (application, version, document, cycle_id) VALUES ($1, $2, $3, $4) ON CONFLICT (application, version) DO NOTHING`,
    [doc.application, doc.version, JSON.stringify(doc), cycleId],
  );
  return rowCount === 1;
}

export async function requirementsAuthor(db: Db, application: string, version: number): Promise<string | null | undefined> {
  const { rows } = await db.query<{ cycle_id: string | null }>(
    `SELECT cycle_id FROM requirements WHERE application = $1 AND version = $2`,
    [application, version],
  );
  return rows[0]?.cycle_id;
}

/** One variant's answer to one request, as application_requests holds it. */
export interface ApplicationOutcome {
  requestId: string;
  application: string;
  variant: string;
  endpoint: string;
  input: unknown;
  status: 'ok' | 'handled_error' | 'error';
  output?: unknown;
  error?: string;
  latencyMs: number;
}

/** One variant's answer to one client request as the router stores it. */
export interface ServedOutcome extends ApplicationOutcome {
  cycleId: string;
  clientRequestId: string;
  /** Answered beside the live variant for comparison; the client never saw it. */
  shadow: boolean;
}

/** Stores answers unclaimed by any check; a resent request (same ids) is stored once. */
export async function insertOutcomes(db: Db, outcomes: readonly ServedOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await db.query(
    `INSERT INTO application_requests (request_id, cycle_id, client_request_id, shadow, application, variant, endpoint, input, status, output, error, latency_ms)
     SELECT x.request_id, x.cycle_id, x.client_request_id, x.shadow, x.application, x.variant, x.endpoint, x.input, x.status, x.output, x.error, x.latency_ms
       FROM jsonb_to_recordset($1::jsonb) AS x(request_id uuid, cycle_id text, client_request_id uuid, shadow boolean, application text, variant text,
                                               endpoint text, input jsonb, status text, output jsonb, error text, latency_ms real)
     ON CONFLICT (request_id) DO NOTHING`,
    [
      JSON.stringify(
        outcomes.map((o) => ({
          request_id: o.requestId,
          cycle_id: o.cycleId,
          client_request_id: o.clientRequestId,
          shadow: o.shadow,
          application: o.application,
          variant: o.variant,
          endpoint: o.endpoint,
          input: o.input,
          status: o.status,
          output: o.output ?? null,
          error: o.error ?? null,
          latency_ms: o.latencyMs,
        })),
      ),
    ],
  );
}

const outcomeColumns = 'request_id, application, variant, endpoint, input, status, output, error, latency_ms';

interface OutcomeRow {
  request_id: string;
  application: string;
  variant: string;
  endpoint: string;
  input: unknown;
  status: ApplicationOutcome['status'];
  output: unknown;
  error: string | null;
  latency_ms: number;
}

const toOutcome = (r: OutcomeRow): ApplicationOutcome => ({
  requestId: r.request_id,
  application: r.application,
  variant: r.variant,
  endpoint: r.endpoint,
  input: r.input,
  status: r.status,
  ...(r.output === null ? {} : { output: r.output }),
  ...(r.error === null ? {} : { error: r.error }),
  latencyMs: r.latency_ms,
});

/**
 * A check's window of an application's requests, in id order. `claim`: the requests that arrived since the previous
 * check become this check's first (with any it claimed before); otherwise only those it claimed are read.
 */
export async function checkOutcomes(
  db: Db,
  cycleId: string,
  application: string,
  checkNo: number,
  claim: boolean,
): Promise<ApplicationOutcome[]> {
  if (claim) {
    await db.query(`UPDATE application_requests SET check_no = $3 WHERE cycle_id = $1 AND application = $2 AND check_no IS NULL`, [
      cycleId,
      application,
      checkNo,
    ]);
  }
  const { rows } = await db.query<OutcomeRow>(
    `SELECT ${outcomeColumns} FROM application_requests WHERE cycle_id = $1 AND application = $2 AND check_no = $3 ORDER BY request_id`,
    [cycleId, application, checkNo],
  );
  return rows.map(toOutcome);
}

/** Outcomes of a cycle: the given requests, and every request of checks from `fromCheck` on. */
export async function readOutcomes(
  db: Db,
  cycleId: string,
  requestIds: readonly string[],
  fromCheck: number,
): Promise<ApplicationOutcome[]> {
  const { rows } = await db.query<OutcomeRow>(
    `SELECT ${outcomeColumns} FROM application_requests WHERE cycle_id = $1 AND (request_id = ANY($2::uuid[]) OR check_no >= $3)`,
    [cycleId, requestIds, fromCheck],
  );
  return rows.map(toOutcome);
}

/** A tripped monitor; `key` opens it once however often its check is retried. */
export interface IncidentRecord {
  key: string;
  application: string;
  variant: string;
  requirementsVersion: number;
  type: 'error_rate' | 'latency' | 'contract_violation' | 'behavioral_deviation';
  value: number;
  threshold: number;
  requestIds: string[];
  details: Record<string, string[]>;
}

export async function insertIncidents(db: Db, cycleId: string, checkNo: number, incidents: readonly IncidentRecord[]): Promise<number> {
  let opened = 0;
  for (const i of incidents) {
    const { rowCount } = await db.query(
      `INSERT INTO incidents (idempotency_key, cycle_id, check_no, application, variant, requirements_version, type, value, threshold, request_ids, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uuid[], $11) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        i.key,
        cycleId,
        checkNo,
        i.application,
        i.variant,
        i.requirementsVersion,
        i.type,
        i.value,
        i.threshold,
        i.requestIds,
        JSON.stringify(i.details),
      ],
    );
    opened += rowCount ?? 0;
  }
  return opened;
}

export async function readIncidents(db: Db, cycleId: string): Promise<(IncidentRecord & { checkNo: number })[]> {
  const { rows } = await db.query<{
    idempotency_key: string;
    check_no: number;
    application: string;
    variant: string;
    requirements_version: number;
    type: IncidentRecord['type'];
    value: number;
    threshold: number;
    request_ids: string[];
    details: Record<string, string[]>;
  }>(
    `SELECT idempotency_key, check_no, application, variant, requirements_version, type, value, threshold, request_ids, details
       FROM incidents WHERE cycle_id = $1 ORDER BY check_no, idempotency_key`,
    [cycleId],
  );
  return rows.map((r) => ({
    key: r.idempotency_key,
    checkNo: r.check_no,
    application: r.application,
    variant: r.variant,
    requirementsVersion: r.requirements_version,
    type: r.type,
    value: r.value,
    threshold: r.threshold,
    requestIds: r.request_ids,
    details: r.details,
  }));
}

/** What a check measured of a deployment's window (learning_checks.metrics). */
export interface CheckMetrics {
  requests: number;
  errorRate: number;
  latencyP99Ms: number | null;
  apiCompliance: number;
  behavioralAccuracy: number;
}

export async function insertCheck(
  db: Db,
  row: {
    cycleId: string;
    checkNo: number;
    application: string;
    variant: string;
    requirementsVersion: number;
    metrics: CheckMetrics;
    incidentsOpened: number;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO learning_checks (cycle_id, check_no, application, variant, requirements_version, metrics, incidents_opened)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [row.cycleId, row.checkNo, row.application, row.variant, row.requirementsVersion, JSON.stringify(row.metrics), row.incidentsOpened],
  );
}

/** Every check ever made of these applications, oldest first, for the performance tracker. */
export async function readCheckHistory(
  db: Db,
  applications: readonly string[],
): Promise<{ application: string; version: number; incidents: number; metrics: CheckMetrics }[]> {
  const { rows } = await db.query<{ application: string; requirements_version: number; incidents_opened: number; metrics: CheckMetrics }>(
    `SELECT application, requirements_version, incidents_opened, metrics FROM learning_checks
      WHERE application = ANY($1::text[]) ORDER BY at, check_no`,
    [applications],
  );
  return rows.map((r) => ({
    application: r.application,
    version: r.requirements_version,
    incidents: r.incidents_opened,
    metrics: r.metrics,
  }));
}

/** Whether a check of an application has been stored already (its window claimed and evaluated). */
export async function checkStored(db: Db, cycleId: string, checkNo: number, application: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM learning_checks WHERE cycle_id = $1 AND check_no = $2 AND application = $3 LIMIT 1`, [
    cycleId,
    checkNo,
    application,
  ]);
  return (rowCount ?? 0) > 0;
}

/** Registers a cycle; a retried start finds its row. */
export async function insertLearningCycle(db: Db, cycleId: string, input: unknown): Promise<void> {
  await db.query(`INSERT INTO learning_cycles (id, input) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [cycleId, JSON.stringify(input)]);
}

/** Ends a cycle with its report; the first end keeps its time. */
export async function endLearningCycle(
  db: Db,
  e: { cycleId: string; status: 'completed' | 'aborted'; abortReason: string | null; report: unknown },
): Promise<void> {
  await db.query(
    `UPDATE learning_cycles SET status = $2, abort_reason = $3, report = $4, ended_at = coalesce(ended_at, now()) WHERE id = $1`,
    [e.cycleId, e.status, e.abortReason, JSON.stringify(e.report)],
  );
}

/** The requirements version a cycle deployed an application against; undefined when it has not deployed it. */
export async function deployedRequirementsVersion(db: Db, cycleId: string, application: string): Promise<number | undefined> {
  const { rows } = await db.query<{ requirements_version: number }>(
    `SELECT requirements_version FROM learning_deployments WHERE cycle_id = $1 AND application = $2 LIMIT 1`,
    [cycleId, application],
  );
  return rows[0]?.requirements_version;
}

/** Records one deployed variant with the routes it replaced (null: none); a retried deploy writes it once. */
export async function insertDeployment(
  db: Db,
  d: {
    cycleId: string;
    application: string;
    variant: string;
    requirementsVersion: number;
    baseline: boolean;
    previousRoutes: readonly ApplicationRoute[] | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO learning_deployments (cycle_id, application, variant, requirements_version, baseline, previous_routes) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (cycle_id, application, variant) DO NOTHING`,
    [d.cycleId, d.application, d.variant, d.requirementsVersion, d.baseline, JSON.stringify(d.previousRoutes)],
  );
}

export async function endDeployments(db: Db, cycleId: string, status: 'completed' | 'aborted'): Promise<void> {
  await db.query(`UPDATE learning_deployments SET status = $2, ended_at = coalesce(ended_at, now()) WHERE cycle_id = $1`, [
    cycleId,
    status,
  ]);
}

/** Each application a cycle deployed, with the routes its deployment replaced (null: it had none). */
export async function readReplacedRoutes(
  db: Db,
  cycleId: string,
): Promise<{ application: string; previous_routes: ApplicationRoute[] | null }[]> {
  const { rows } = await db.query<{ application: string; previous_routes: ApplicationRoute[] | null }>(
    `SELECT DISTINCT ON (application) application, previous_routes FROM learning_deployments WHERE cycle_id = $1 ORDER BY application`,
    [cycleId],
  );
  return rows;
}

export async function updateIncidentAnalysis(db: Db, incidentKey: string, analysis: unknown): Promise<void> {
  await db.query(`UPDATE incidents SET analysis = $2 WHERE idempotency_key = $1`, [incidentKey, JSON.stringify(analysis)]);
}

/** A cycle's status and its report (null until the cycle ends); undefined when there is no such cycle. */
export async function readCycleReport(db: Db, cycleId: string): Promise<{ report: unknown; status: string } | undefined> {
  const { rows } = await db.query<{ report: unknown; status: string }>('SELECT report, status FROM learning_cycles WHERE id = $1', [
    cycleId,
  ]);
  return rows[0];
}
