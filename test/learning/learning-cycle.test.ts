import assert from 'node:assert/strict';
import { renderReportHtml } from '../../src/learning/report-html.js';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLearningActivities } from '../../activities/learning.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { RunningRouter } from '../../src/router/server.js';
import {
  abortSignal,
  addApplicationUpdate,
  extendSignal,
  learningCycle,
  pauseSignal,
  progressQuery,
  resumeSignal,
} from '../../workflows/contracts/learning-cycle.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { startRouterOn } from '../support/router.js';
import { createTimeSkippingEnv, signalSettled } from '../../bench/support/temporal.js';
import { deployableApplications } from '../../src/learning/applications/deployable.js';

// Days of hourly checks run in seconds on the time-skipping server; the simulated users' traffic goes over HTTP through
// a real router to the applications deployed behind it (src/learning/applications), and the router's rows and the
// incidents land in a real throwaway PostgreSQL database. The tests share that
// database, so cycles after the first deploy the requirements it refined (v2), as production would.
const workflowsPath = fileURLToPath(new URL('./fixtures/cycle-workflows.ts', import.meta.url));
const ALL = ['ticket-triage', 'invoice-extractor', 'address-normalizer'];

describe('learningCycle on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let db: ThrowawayDatabase;
  let router: RunningRouter;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `learning-test-${randomUUID()}`;

  before(async () => {
    env = await createTimeSkippingEnv();
    db = await throwawayDatabase();
    router = await startRouterOn(db);
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      activities: createLearningActivities(
        {
          pool: db.pool,
          logger: createLogger({ level: 'silent' }),
          config: loadConfig({ DATABASE_URL: db.url, LEARNLOOP_ROUTER_URL: router.url }),
        },
        { applications: deployableApplications },
      ),
    });
    running = worker.run();
  });
  after(async () => {
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    (worker as typeof worker | undefined)?.shutdown();
    await running;
    await (router as typeof router | undefined)?.close();
    await (db as typeof db | undefined)?.drop();
    await (env as typeof env | undefined)?.teardown();
  });

  const start = (input: Record<string, unknown>) =>
    env.client.workflow.start(learningCycle, { taskQueue, workflowId: `cycle-${randomUUID()}`, args: [input] });

  /** Every run's history, first to last, following continue-as-new. */
  async function runHistories(handle: WorkflowHandleWithFirstExecutionRunId): Promise<temporal.api.history.v1.IHistory[]> {
    const histories = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      histories.push(history);
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return histories;
  }

  let completedHistories: temporal.api.history.v1.IHistory[] = [];

  test('a 7-day cycle opens incidents of every kind, refines the requirements, starts retraining and reports', async () => {
    const handle = await start({ applications: ALL, durationDays: 7 });
    const report = await handle.result();

    assert.equal(report.status, 'completed');
    assert.equal(report.checksRun, 7 * 24);
    assert.deepEqual(Object.keys(report.incidentBreakdown.byType).sort(), [
      'behavioral_deviation',
      'contract_violation',
      'error_rate',
      'latency',
    ]);
    assert.ok(report.summary.systematicIssues >= 1);
    assert.equal(report.summary.refinements, 3);
    assert.ok(report.refinementImpact.averageCompletenessGain > 0);
    assert.ok(report.refinementImpact.averageClarityGain > 0);
    assert.equal(report.refinementImpact.significantlyImproved.length, 3);
    assert.equal(report.modelImprovements.start, true);
    assert.ok(report.modelImprovements.samples >= 10);

    const retrain = env.client.workflow.getHandle(`${handle.workflowId}/retrain`);
    assert.deepEqual(await retrain.result(), {
      input: { modelId: 'reference', trigger: 'learning_cycle', learningCycleId: handle.workflowId },
    });
    // The samples that retraining's trainer reads, stored with the refinements: as many as the report counts, same weights.
    const { rows: samples } = await db.pool.query<{ n: number; total: number; min: number; max: number }>(
      `SELECT count(*)::int AS n, sum(weight) AS total, min(weight) AS min, max(weight) AS max FROM learning_training_samples WHERE cycle_id = $1`,
      [handle.workflowId],
    );
    assert.equal(samples[0]!.n, report.modelImprovements.samples);
    assert.ok(Math.abs(samples[0]!.total - report.modelImprovements.totalWeight) < 1e-9);
    assert.ok(samples[0]!.min >= 1 && samples[0]!.max <= 5, `weights ${samples[0]!.min}..${samples[0]!.max}`);

    // The variants were behind the router: the cycle's routes, live traffic split evenly, every variant answering
    // every request (the others in shadow), and every answer claimed by one check.
    const { rows: routes } = await db.pool.query<{
      application: string;
      variant: string;
      percent: number;
      baseline: boolean;
      cycle_id: string;
    }>(
      `SELECT application, variant, percent, baseline, cycle_id FROM application_routes WHERE application = ANY($1) ORDER BY application, variant`,
      [ALL],
    );
    for (const application of ALL) {
      const own = routes.filter((r) => r.application === application);
      assert.ok(own.length >= 2 && own.every((r) => r.cycle_id === handle.workflowId), `${application} routes ${JSON.stringify(own)}`);
      assert.equal(
        own.reduce((a, r) => a + r.percent, 0),
        100,
      );
      assert.equal(own.filter((r) => r.baseline).length, 1);
    }
    const { rows: served } = await db.pool.query<{
      application: string;
      variant: string;
      live: number;
      answers: number;
      requests: number;
      unclaimed: number;
    }>(
      `SELECT application, variant, count(*) FILTER (WHERE NOT shadow)::int AS live, count(*)::int AS answers,
              count(DISTINCT client_request_id)::int AS requests, count(*) FILTER (WHERE check_no IS NULL)::int AS unclaimed
         FROM application_requests WHERE cycle_id = $1 GROUP BY application, variant`,
      [handle.workflowId],
    );
    assert.equal(served.length, routes.length);
    for (const v of served) {
      const route = routes.find((r) => r.application === v.application && r.variant === v.variant)!;
      assert.deepEqual([v.requests, v.answers, v.unclaimed], [7 * 24 * 100, 7 * 24 * 100, 0], `${v.application}/${v.variant}`);
      const liveShare = (100 * v.live) / v.answers;
      assert.ok(
        Math.abs(liveShare - route.percent) < 15,
        `${v.application}/${v.variant} answered ${liveShare.toFixed(1)}% live for a ${route.percent}% route`,
      );
    }
    for (const application of ALL) {
      const live = served.filter((v) => v.application === application).reduce((a, v) => a + v.live, 0);
      assert.equal(live, 7 * 24 * 100, `${application}: each request answered live exactly once`);
    }

    const { rows: versions } = await db.pool.query(
      `SELECT application, version FROM requirements WHERE cycle_id = $1 ORDER BY application`,
      [handle.workflowId],
    );
    assert.deepEqual(
      versions,
      ALL.map((application) => ({ application, version: 2 })).sort((a, b) => a.application.localeCompare(b.application)),
    );
    const { rows: incidents } = await db.pool.query(
      `SELECT count(*)::int AS n, count(analysis)::int AS analysed FROM incidents WHERE cycle_id = $1`,
      [handle.workflowId],
    );
    assert.equal(incidents[0].n, report.summary.incidents);
    assert.equal(incidents[0].analysed, incidents[0].n);
    const { rows: stored } = await db.pool.query(`SELECT status, report FROM learning_cycles WHERE id = $1`, [handle.workflowId]);
    assert.equal(stored[0].status, 'completed');
    assert.deepEqual(stored[0].report, report);

    // `learnloop cycle report --html`: one page, three charts rendered to SVG on the server, no script to run.
    const html = await renderReportHtml(stored[0].report);
    assert.equal(html.match(/<svg/g)?.length, 3);
    assert.ok(!/<script/i.test(html));
    assert.match(html, new RegExp(`${report.summary.incidents} \\(${report.summary.incidentsPerDeployment} per deployment\\)`));
    for (const type of Object.keys(report.incidentBreakdown.byType)) assert.ok(html.includes(`>${type}<`), `the legend names ${type}`);

    const progress = await handle.query(progressQuery);
    assert.equal(progress.phase, 'completed');
    completedHistories = await runHistories(handle);
    assert.ok(completedHistories.length >= 2, 'a week of hourly checks continued as new at least once');
    for (const h of completedHistories) assert.ok((h.events?.length ?? 0) < 2_000, `a run of ${String(h.events?.length)} events`);
  });

  test('the completed cycle replays deterministically, every run of it', async () => {
    assert.ok(completedHistories.length > 0, 'needs the 7-day cycle above');
    for (const history of completedHistories) await Worker.runReplayHistory({ workflowsPath }, history);
  });

  test('pausing stops the monitoring clock; resuming picks up where it stopped', async () => {
    const handle = await start({ applications: ['invoice-extractor'], durationDays: 1 });
    await env.sleep('5h');
    const before = await handle.query(progressQuery);
    assert.ok(before.checksDone >= 3 && before.checksDone <= 5, `${before.checksDone} checks after 5h`);
    await signalSettled(handle, pauseSignal);
    await env.sleep('3d');
    const paused = await handle.query(progressQuery);
    assert.deepEqual([paused.paused, paused.checksDone, paused.nextCheckAt], [true, before.checksDone, null]);
    await handle.signal(resumeSignal);
    const report = await handle.result();
    assert.equal(report.checksRun, 24);
    const d = await handle.describe();
    const hours = (d.closeTime!.getTime() - d.startTime.getTime()) / 3_600_000;
    assert.ok(hours >= 24 + 72, `the cycle took ${hours.toFixed(1)} h: a day of checks plus the 3 paused days`);
  });

  test('abort ends the cycle with its reason, puts the routes back as they were, and refines nothing', async () => {
    const routesOf = async () =>
      (
        await db.pool.query(
          `SELECT variant, percent, baseline, requirements_version, cycle_id FROM application_routes WHERE application = 'ticket-triage' ORDER BY variant`,
        )
      ).rows;
    const before = await routesOf();
    assert.ok(before.length > 0, 'the 7-day cycle above left ticket-triage deployed');
    const handle = await start({ applications: ['ticket-triage'], durationDays: 2 });
    await env.sleep('3h');
    const during = await routesOf();
    assert.ok(
      during.every((r) => r.cycle_id === handle.workflowId && r.requirements_version === 2),
      JSON.stringify(during),
    );
    await signalSettled(handle, abortSignal, { reason: 'operator: traffic test misconfigured' });
    const report = await handle.result();
    assert.deepEqual([report.status, report.abortReason], ['aborted', 'operator: traffic test misconfigured']);
    assert.equal(report.summary.refinements, 0);
    const { rows } = await db.pool.query(`SELECT status, abort_reason FROM learning_cycles WHERE id = $1`, [handle.workflowId]);
    assert.deepEqual(rows[0], { status: 'aborted', abort_reason: 'operator: traffic test misconfigured' });
    const { rows: deployments } = await db.pool.query(`SELECT DISTINCT status FROM learning_deployments WHERE cycle_id = $1`, [
      handle.workflowId,
    ]);
    assert.deepEqual(deployments, [{ status: 'aborted' }]);
    assert.deepEqual(await routesOf(), before);
    const { rows: refined } = await db.pool.query(`SELECT count(*)::int AS n FROM requirements WHERE cycle_id = $1`, [handle.workflowId]);
    assert.equal(refined[0].n, 0);
  });

  test('addApplication joins a running cycle; the validator refuses a repeat before anything runs', { timeout: 60_000 }, async () => {
    const handle = await start({ applications: ['invoice-extractor'], durationDays: 1 });
    await env.sleep('2h');
    const added = await handle.executeUpdate(addApplicationUpdate, { args: [{ application: 'address-normalizer' }] });
    assert.deepEqual(added.variants, ['v1', 'v2']);
    const refused = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match(String(err.cause?.message), pattern);
      return true;
    };
    await assert.rejects(
      handle.executeUpdate(addApplicationUpdate, { args: [{ application: 'invoice-extractor' }] }),
      refused(/already in this cycle/),
    );
    await assert.rejects(
      handle.executeUpdate(addApplicationUpdate, { args: [{ application: 'Not An Id' }] }),
      refused(/application: must be an application id/),
    );
    await assert.rejects(
      handle.executeUpdate(addApplicationUpdate, { args: [{ application: 'no-such-app' }] }),
      refused(/no application "no-such-app"/),
    );
    assert.deepEqual((await handle.query(progressQuery)).applications, ['invoice-extractor', 'address-normalizer']);
    await signalSettled(handle, abortSignal, { reason: 'done testing' });
    await handle.result();
  });

  test('a 30-day cycle keeps every run under 2,000 events and answers progress across continue-as-new', async () => {
    const handle = await start({ applications: ['invoice-extractor'], durationDays: 10, checkInterval: '1h' });
    await env.sleep('6d');
    const mid = await handle.query(progressQuery);
    assert.ok(mid.run >= 2, `run ${mid.run}`);
    assert.ok(mid.checksDone >= 5 * 24, `${mid.checksDone} checks after 6 days`);
    await handle.signal(extendSignal, { days: 20 });
    const report = await handle.result();
    assert.equal(report.checksRun, 30 * 24);
    assert.equal(report.durationDays, 30);
    // The query's incident counts, kept in workflow state through every continue-as-new, match what was stored.
    const counted = Object.values((await handle.query(progressQuery)).incidentsByType).reduce((a, b) => a + b, 0);
    assert.ok(report.summary.incidents > 0);
    assert.equal(counted, report.summary.incidents);
    const histories = await runHistories(handle);
    assert.ok(histories.length >= 8, `${histories.length} runs`);
    for (const h of histories) assert.ok((h.events?.length ?? 0) < 2_000, `a run of ${String(h.events?.length)} events`);
  });
});
