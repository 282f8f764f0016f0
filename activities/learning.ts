import { ApplicationFailure, Context } from '@temporalio/activity';
import { evenShares, readApplicationRoutes, replaceApplicationRoutes } from '../src/db/application-routes.js';
import {
  checkOutcomes,
  checkStored,
  deployedRequirementsVersion,
  endDeployments,
  endLearningCycle,
  insertCheck,
  insertDeployment,
  insertIncidents,
  insertLearningCycle,
  insertRequirements,
  readCheckHistory,
  readIncidents,
  readOutcomes,
  readReplacedRoutes,
  requirementsAuthor,
  updateIncidentAnalysis,
} from '../src/db/learning.js';
import { withTransaction, type PoolClient } from '../src/db/pool.js';
import { defined } from '../src/platform/defined.js';
import { insertTrainingSamples } from '../src/db/training-samples.js';
import type { Application } from '../src/learning/application.js';
import {
  analyzeIncidents,
  checkWindow,
  planRefinements,
  type CycleApplication,
  type IncidentAnalysis,
} from '../src/learning/cycle-analysis.js';
import type { TrainingDecision, TrainingSample } from '../src/learning/feedback-trainer.js';
import type { Deficiency } from '../src/learning/incident-analyzer.js';
import type { IncidentType } from '../src/learning/monitor.js';
import { currentSystematicIssue, detectPatterns, type SystematicIssue } from '../src/learning/patterns.js';
import { reliabilityByRequirement } from '../src/learning/performance.js';
import { readRequirements } from '../src/learning/requirements-store.js';
import { sendApplicationRequests } from '../src/learning/router-client.js';
import { buildReport, summarizeRefinement, type CycleReport, type RefinementSummary } from '../src/learning/report.js';
import { activityLogger } from './activity-logger.js';
import type { ActivityDeps } from './deps.js';

export interface CycleDeployment {
  application: string;
  /** variants[0] is the baseline. */
  variants: string[];
  requirementsVersion: number;
}

export interface CheckInput {
  cycleId: string;
  checkNo: number;
  deployments: CycleDeployment[];
  /** Per application, the monitors tripped at the previous check ("application/variant/type"). */
  open: Record<string, string[]>;
}

export interface CheckResult {
  opened: { application: string; variant: string; type: IncidentType }[];
  open: Record<string, string[]>;
  requests: number;
}

export interface FinishInput {
  cycleId: string;
  status: 'completed' | 'aborted';
  abortReason?: string;
  durationDays: number;
  checksRun: number;
  checksPerDay: number;
  deployments: CycleDeployment[];
  systematicIssues: SystematicIssue[];
  refinements: RefinementSummary[];
  training: TrainingDecision & { retrainWorkflowId?: string };
}

/** Requests the simulated users send each application per check (every variant answers each). */
const REQUESTS_PER_CHECK = 100;
/** The analysis compares variants over the requests of the last few checks. */
const VARIANCE_CHECKS = 3;

/**
 * Activities of learningCycle: thin over src/learning, each safe to run twice. `applications` are the ones a cycle
 * may deploy (the entry point passes the examples' deployableApplications).
 */
export function createLearningActivities(
  { pool, logger, config }: ActivityDeps,
  { applications }: { applications: readonly Application[] },
) {
  const findApplication = (id: string) => applications.find((a) => a.id === id);
  const log = activityLogger(logger);
  const router = { routerUrl: config.learning.routerUrl, apiToken: config.apiToken };

  const applicationsOf = async (deployments: readonly CycleDeployment[]): Promise<CycleApplication[]> =>
    Promise.all(
      deployments.map(async (d) => {
        const document = await readRequirements(pool, d.application, d.requirementsVersion);
        if (!document)
          throw ApplicationFailure.nonRetryable(`${d.application} has no requirements v${d.requirementsVersion}`, 'MissingRequirements');
        return { application: d.application, variants: d.variants, document };
      }),
    );

  return {
    async beginCycle(input: { cycleId: string; input: unknown }): Promise<void> {
      await insertLearningCycle(pool, input.cycleId, input.input);
    },

    /**
     * Deploys an application's variants behind the router against its latest requirements (writing the simulator's
     * first document when it has none yet): live traffic split evenly, every variant answering every request, the
     * first one the baseline. The routes it replaces are kept for an abort to put back. A retry returns what the
     * first attempt deployed and changes nothing.
     */
    async deployApplication(input: { cycleId: string; application: string }): Promise<CycleDeployment> {
      const app = findApplication(input.application);
      if (!app) {
        const known = applications.map((a) => a.id).join(', ');
        throw ApplicationFailure.nonRetryable(
          `applications: no application "${input.application}" (known: ${known})`,
          'UnknownApplication',
        );
      }
      return withTransaction(pool, async (c) => {
        let version = await deployedRequirementsVersion(c, input.cycleId, app.id);
        if (version === undefined) {
          let document = await readRequirements(c, app.id);
          if (!document) {
            await insertRequirements(c, app.initialRequirements, null);
            document = app.initialRequirements;
          }
          version = document.version;
          const previous = (await readApplicationRoutes(c, [app.id])).get(app.id) ?? null;
          for (const [i, variant] of app.variants.entries()) {
            await insertDeployment(c, {
              cycleId: input.cycleId,
              application: app.id,
              variant,
              requirementsVersion: version,
              baseline: i === 0,
              previousRoutes: previous,
            });
          }
          const shares = evenShares(app.variants.length);
          const requirementsVersion = version;
          await replaceApplicationRoutes(
            c,
            app.id,
            app.variants.map((variant, i) => ({
              variant,
              percent: defined(shares[i], `share of variant ${variant}`),
              baseline: i === 0,
              requirementsVersion,
              cycleId: input.cycleId,
            })),
          );
        }
        log().info({ application: app.id, requirementsVersion: version }, 'deployed behind the router for the learning cycle');
        return { application: app.id, variants: [...app.variants], requirementsVersion: version };
      });
    },

    /**
     * One monitoring check per application: the simulated users' window of requests sent through the router (unless
     * traffic is real), then every answer the router stored since the previous check claimed for this check, the
     * monitors evaluated per deployment, incidents opened for monitors that newly tripped. Request ids and incident
     * keys derive from the cycle and check number, and a check already stored only re-reads its own window, so a
     * retry stores nothing twice and answers the same.
     */
    async runCheck(input: CheckInput): Promise<CheckResult> {
      const result: CheckResult = { opened: [], open: {}, requests: 0 };
      const window = `${input.cycleId}/check-${input.checkNo}`;
      for (const app of await applicationsOf(input.deployments)) {
        const stored = await checkStored(pool, input.cycleId, input.checkNo, app.application);
        if (!stored && config.learning.traffic === 'simulated') {
          const users = defined(findApplication(app.application), `application ${app.application}`).windowRequests({
            window,
            requests: REQUESTS_PER_CHECK,
            seed: 1,
          });
          await sendApplicationRequests(router, app.application, users);
        }
        const { evaluated, requests } = await withTransaction(pool, async (c) => {
          const outcomes = await checkOutcomes(c, input.cycleId, app.application, input.checkNo, !stored);
          const evaluated = checkWindow({ ...app, outcomes }, input.open[app.application] ?? [], window);
          await insertIncidents(c, input.cycleId, input.checkNo, evaluated.opened);
          for (const e of evaluated.evaluations) {
            await insertCheck(c, {
              cycleId: input.cycleId,
              checkNo: input.checkNo,
              application: e.application,
              variant: e.variant,
              requirementsVersion: e.requirementsVersion,
              metrics: e.metrics,
              incidentsOpened: evaluated.opened.filter((i) => i.variant === e.variant).length,
            });
          }
          return { evaluated, requests: outcomes.length };
        });
        result.requests += requests;
        result.open[app.application] = evaluated.open;
        result.opened.push(...evaluated.opened.map((i) => ({ application: i.application, variant: i.variant, type: i.type })));
        Context.current().heartbeat({ application: app.application });
      }
      if (result.opened.length > 0) log().info({ checkNo: input.checkNo, opened: result.opened }, 'incidents opened');
      return result;
    },

    /** The analyze phase over the cycle's incidents; each incident's deficiencies are stored with it. */
    async analyzeIncidents(input: { cycleId: string; deployments: CycleDeployment[]; checksRun: number }): Promise<IncidentAnalysis> {
      const applications = await applicationsOf(input.deployments);
      const incidents = await readIncidents(pool, input.cycleId);
      const outcomes = await readOutcomes(
        pool,
        input.cycleId,
        incidents.flatMap((i) => i.requestIds),
        input.checksRun - VARIANCE_CHECKS,
      );
      const analysis = analyzeIncidents(applications, incidents, outcomes);
      for (const incident of incidents) {
        const found = analysis.deficiencies.filter((d) => d.incidentKey === incident.key);
        await updateIncidentAnalysis(pool, incident.key, found);
      }
      return analysis;
    },

    detectPatterns(input: { deficiencies: Deficiency[] }): Promise<{ systematicIssues: SystematicIssue[]; clusters: number }> {
      // Nothing to await; the executor turns a throw into a rejection, as the async method did.
      return new Promise((resolve) => {
        const { clusters, systematicIssues } = detectPatterns(input.deficiencies);
        resolve({ systematicIssues, clusters: clusters.length });
      });
    },

    /**
     * The refine phase: each deployed document refined into its next version and stored. The next version is made
     * from the deployed one, so a retry produces (and finds stored) the same version instead of one more.
     */
    async refineRequirements(input: {
      cycleId: string;
      deployments: CycleDeployment[];
      deficiencies: Deficiency[];
    }): Promise<{ refinements: RefinementSummary[]; samples: TrainingSample[] }> {
      const { refinements, samples } = planRefinements(await applicationsOf(input.deployments), input.deficiencies);
      // One transaction: the new versions and the samples they teach land together or not at all.
      await withTransaction(pool, async (c) => {
        for (const r of refinements) {
          if (!(await insertRequirements(c, r.document, input.cycleId))) {
            const author = await requirementsAuthor(c, r.application, r.toVersion);
            if (author !== input.cycleId) {
              throw ApplicationFailure.nonRetryable(
                `${r.application} requirements v${r.toVersion} were written meanwhile by ${author ?? 'a person'}`,
                'RequirementsConflict',
              );
            }
          }
        }
        await insertTrainingSamples(c, input.cycleId, samples);
      });
      log().info(
        { refinements: refinements.map((r) => `${r.application} v${r.toVersion}`), samples: samples.length },
        'requirements refined',
      );
      return {
        refinements: refinements.map(summarizeRefinement),
        samples,
      };
    },

    /**
     * Writes the report and ends the cycle's deployments. Completed: the variants stay behind the router (the next
     * cycle redeploys them against the refined requirements). Aborted: each application's routes go back to what
     * they were before the cycle, unless someone has deployed it since; the reason is recorded.
     */
    async finishCycle(input: FinishInput): Promise<CycleReport> {
      const incidents = await readIncidents(pool, input.cycleId);
      const reliability = reliabilityByRequirement(
        await readCheckHistory(
          pool,
          input.deployments.map((d) => d.application),
        ),
      );
      const report = buildReport({
        ...input,
        systematicIssues: input.systematicIssues.map(currentSystematicIssue),
        deployments: input.deployments.flatMap((d) =>
          d.variants.map((variant) => ({ application: d.application, variant, requirementsVersion: d.requirementsVersion })),
        ),
        incidents: incidents.map((i) => ({
          type: i.type,
          application: i.application,
          day: Math.floor(i.checkNo / input.checksPerDay) + 1,
        })),
        reliability,
      });
      await withTransaction(pool, async (c) => {
        await endLearningCycle(c, { cycleId: input.cycleId, status: input.status, abortReason: input.abortReason ?? null, report });
        await endDeployments(c, input.cycleId, input.status);
        if (input.status === 'aborted') await restoreRoutes(c, input.cycleId);
      });
      log().info({ status: input.status, incidents: incidents.length }, 'learning cycle finished');
      return report;
    },
  };
}

/** Puts back the routes an aborted cycle replaced, for each application whose routes are still the cycle's. */
async function restoreRoutes(c: PoolClient, cycleId: string): Promise<void> {
  const rows = await readReplacedRoutes(c, cycleId);
  const current = await readApplicationRoutes(
    c,
    rows.map((r) => r.application),
  );
  for (const r of rows) {
    const routes = current.get(r.application) ?? [];
    if (routes.length > 0 && routes.every((route) => route.cycleId === cycleId))
      await replaceApplicationRoutes(c, r.application, r.previous_routes ?? []);
  }
}

export type LearningActivities = ReturnType<typeof createLearningActivities>;
