import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CycleDeployment, LearningActivities } from '../activities/learning.js';
import { applicationIdSchema, parseCycleInput, type CycleInput } from '../src/learning/cycle-input.js';
import { trainingDecision, type TrainingDecision } from '../src/learning/feedback-trainer.js';
import type { IncidentType } from '../src/learning/monitor.js';
import type { CycleReport, RefinementSummary } from '../src/learning/report.js';
import { LearnloopCycle, LearnloopPhase } from '../src/temporal/search-attributes.js';

export type CyclePhase = 'deploy' | 'monitor' | 'analyze' | 'patterns' | 'refine' | 'fine-tune' | 'report' | 'completed' | 'aborted';

export interface CycleProgress {
  cycleId: string;
  phase: CyclePhase;
  paused: boolean;
  /** Day n of N: the monitoring day the next check falls in. */
  day: number;
  days: number;
  checksDone: number;
  checksTotal: number;
  nextCheckAt: string | null;
  applications: string[];
  incidentsByType: Partial<Record<IncidentType, number>>;
  refinements: RefinementSummary[];
  abortReason: string | null;
  /** Runs of this cycle so far (1 + continue-as-new count). */
  run: number;
}

export const progressQuery = defineQuery<CycleProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const abortSignal = defineSignal<[{ reason: string }]>('abort');
export const extendSignal = defineSignal<[{ days: number }]>('extend');
export const addApplicationUpdate = defineUpdate<CycleDeployment, [{ application: string }]>('addApplication');

/** What continue-as-new carries into the next run. */
export interface CycleState {
  cycleId: string;
  phase: CyclePhase;
  paused: boolean;
  abortReason: string | null;
  checksDone: number;
  checksTotal: number;
  deployments: CycleDeployment[];
  open: Record<string, string[]>;
  incidentsByType: Partial<Record<IncidentType, number>>;
  run: number;
}

/**
 * Each run continues as new past this many history events (or when the server suggests it): an hourly check
 * costs about 11 events, so a week of checks would otherwise make one history of ~1,850.
 */
export const HISTORY_EVENTS_CAP = 1_000;
const DAY_MS = 86_400_000;

const shortRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: ['UnknownApplication'] };
const { beginCycle, deployApplication, finishCycle } = proxyActivities<LearningActivities>({ startToCloseTimeout: '2m', retry: shortRetry });
// A check heartbeats after each application, so a worker that dies mid-check is noticed in 20 s, not at the timeout.
const { runCheck } = proxyActivities<LearningActivities>({ startToCloseTimeout: '10m', heartbeatTimeout: '20s', retry: shortRetry });
const { analyzeIncidents, detectPatterns, refineRequirements } = proxyActivities<LearningActivities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 5 },
});

/**
 * The production requirements learning pipeline: deploy → monitor for durationDays → analyze incidents and
 * variance → detect patterns → refine requirements → fine-tune → report.
 */
export async function learningCycle(rawInput: unknown, carried?: CycleState): Promise<CycleReport> {
  const parsed = parseCycleInput(rawInput);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, 'InvalidCycleInput');
  const input: CycleInput = parsed.value;
  const checksPerDay = DAY_MS / input.checkInterval;
  const state: CycleState = carried ?? {
    cycleId: workflowInfo().workflowId,
    phase: 'deploy',
    paused: false,
    abortReason: null,
    checksDone: 0,
    checksTotal: Math.round(input.durationDays * checksPerDay),
    deployments: [],
    open: {},
    incidentsByType: {},
    run: 1,
  };
  let refinements: RefinementSummary[] = [];
  let nextCheckAt: string | null = null;

  /** Remembers a deployment once: addApplication for an application the deploy phase has yet to reach deploys it first. */
  const track = (deployment: CycleDeployment): CycleDeployment => {
    if (!state.deployments.some((d) => d.application === deployment.application)) state.deployments.push(deployment);
    return deployment;
  };

  setHandler(progressQuery, () => ({
    cycleId: state.cycleId,
    phase: state.phase,
    paused: state.paused,
    day: Math.min(Math.floor(state.checksDone / checksPerDay) + 1, Math.ceil(state.checksTotal / checksPerDay)),
    days: state.checksTotal / checksPerDay,
    checksDone: state.checksDone,
    checksTotal: state.checksTotal,
    nextCheckAt,
    applications: state.deployments.map((d) => d.application),
    incidentsByType: state.incidentsByType,
    refinements,
    abortReason: state.abortReason,
    run: state.run,
  }));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(abortSignal, ({ reason }) => void (state.abortReason ??= reason || 'aborted without a reason'));
  setHandler(extendSignal, ({ days }) => {
    if (!(days > 0)) return log.warn('extend ignored: days must be positive', { days });
    state.checksTotal += Math.round(days * checksPerDay);
  });
  setHandler(
    addApplicationUpdate,
    async ({ application }) => {
      const deployment = await deployApplication({ cycleId: state.cycleId, application }).catch((err: unknown) => {
        // The caller should read why (an unknown application), not "Activity task failed".
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
        throw err;
      });
      return track(deployment);
    },
    {
      validator: ({ application }) => {
        const id = applicationIdSchema.safeParse(application);
        if (!id.success) throw new Error(`application: ${id.error.issues[0]?.message}`);
        if (state.deployments.some((d) => d.application === application)) throw new Error(`application: ${application} is already in this cycle`);
        if (state.phase !== 'deploy' && state.phase !== 'monitor') throw new Error(`application: the cycle is past monitoring (${state.phase})`);
      },
    },
  );

  const enter = (phase: CyclePhase) => {
    state.phase = phase;
    upsertSearchAttributes([{ key: LearnloopPhase, value: phase }]);
  };
  const aborted = () => state.abortReason !== null;
  const finish = async (extra: { refinements?: RefinementSummary[]; systematicIssues?: Awaited<ReturnType<typeof detectPatterns>>['systematicIssues']; training?: TrainingDecision & { retrainWorkflowId?: string } }) => {
    await condition(allHandlersFinished);
    enter(aborted() ? 'aborted' : 'report');
    const report = await finishCycle({
      cycleId: state.cycleId,
      status: aborted() ? 'aborted' : 'completed',
      ...(state.abortReason ? { abortReason: state.abortReason } : {}),
      durationDays: state.checksTotal / checksPerDay,
      checksRun: state.checksDone,
      checksPerDay,
      deployments: state.deployments,
      systematicIssues: extra.systematicIssues ?? [],
      refinements: extra.refinements ?? [],
      training: extra.training ?? { start: false, samples: 0, reason: 'not enough samples' },
    });
    if (!aborted()) enter('completed');
    return report;
  };

  if (!carried) {
    upsertSearchAttributes([{ key: LearnloopCycle, value: state.cycleId }]);
    enter('deploy');
    await beginCycle({ cycleId: state.cycleId, input: rawInput });
    for (const application of input.applications) {
      if (aborted()) break;
      track(await deployApplication({ cycleId: state.cycleId, application }));
    }
    if (aborted()) return finish({});
    enter('monitor');
  }

  while (state.checksDone < state.checksTotal && !aborted()) {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_CAP) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof learningCycle>(rawInput, { ...state, run: state.run + 1 });
    }
    if (state.paused) {
      nextCheckAt = null;
      await condition(() => !state.paused || aborted());
      continue;
    }
    nextCheckAt = new Date(Date.now() + input.checkInterval).toISOString();
    // A durable timer that a pause or abort cuts short; a cut-short interval does not count, so pausing stops the clock.
    if (await condition(() => state.paused || aborted(), input.checkInterval)) continue;
    const result = await runCheck({ cycleId: state.cycleId, checkNo: state.checksDone, deployments: state.deployments, open: state.open });
    state.checksDone++;
    state.open = result.open;
    for (const o of result.opened) state.incidentsByType[o.type] = (state.incidentsByType[o.type] ?? 0) + 1;
  }
  nextCheckAt = null;
  if (aborted()) return finish({});

  enter('analyze');
  const analysis = await analyzeIncidents({ cycleId: state.cycleId, deployments: state.deployments, checksRun: state.checksDone });
  if (aborted()) return finish({});
  enter('patterns');
  const { systematicIssues } = await detectPatterns({ deficiencies: analysis.deficiencies });
  if (aborted() || !input.autoRefine) return finish({ systematicIssues });

  enter('refine');
  const refined = await refineRequirements({ cycleId: state.cycleId, deployments: state.deployments, deficiencies: analysis.deficiencies });
  refinements = refined.refinements;
  if (aborted()) return finish({ systematicIssues, refinements });

  enter('fine-tune');
  const decision = trainingDecision(refined.samples, input.autoTrain);
  let training: TrainingDecision & { retrainWorkflowId?: string } = decision;
  if (decision.start) {
    const child = await startChild('retrainModel', {
      workflowId: `${state.cycleId}/retrain`,
      args: [{ modelId: input.modelId, trigger: 'learning_cycle', learningCycleId: state.cycleId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    training = { ...decision, retrainWorkflowId: child.workflowId };
  } else {
    log.info('model not retrained', { reason: decision.reason, samples: decision.samples });
  }
  return finish({ systematicIssues, refinements, training });
}
