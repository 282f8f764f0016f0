import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CycleDeployment, createLearningActivities } from '../activities/learning.js';
import { applicationIdSchema, parseCycleInput, type CycleInput } from '../src/learning/cycle-input.js';
import { trainingDecision, type TrainingDecision } from '../src/learning/feedback-trainer.js';
import type { SystematicIssue } from '../src/learning/patterns.js';
import type { CycleReport, RefinementSummary } from '../src/learning/report.js';
import { activitiesOf } from './activity-proxy.js';
import {
  abortSignal,
  addApplicationUpdate,
  cycleSearchAttributes,
  extendSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type CyclePhase,
  type CycleState,
} from './contracts/learning-cycle.js';
import { retrainModel } from './contracts/retrain-model.js';
import { acceptInput } from './failures.js';

/**
 * Each run continues as new past this many history events (or when the server suggests it): an hourly check
 * costs about 11 events, so a week of checks would otherwise make one history of ~1,850.
 */
export const HISTORY_EVENTS_CAP = 1_000;
const DAY_MS = 86_400_000;

type LearningActivities = typeof createLearningActivities;
const shortRetry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['UnknownApplication'],
};
const { beginCycle, deployApplication, finishCycle } = activitiesOf<LearningActivities>({ startToCloseTimeout: '2m', retry: shortRetry });
// A check heartbeats after each application, so a worker that dies mid-check is noticed in 20 s, not at the timeout.
const { runCheck } = activitiesOf<LearningActivities>({ startToCloseTimeout: '10m', heartbeatTimeout: '20s', retry: shortRetry });
const { analyzeIncidents, detectPatterns, refineRequirements } = activitiesOf<LearningActivities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 5 },
});

/** The cycle as this run knows it: what it carries into the next run (`state`), and what only this run shows. */
interface Cycle {
  rawInput: unknown;
  input: CycleInput;
  checksPerDay: number;
  state: CycleState;
  refinements: RefinementSummary[];
  nextCheckAt: string | null;
}
type Training = TrainingDecision & { retrainWorkflowId?: string };
interface Findings {
  refinements?: RefinementSummary[];
  systematicIssues?: SystematicIssue[];
  training?: Training;
}

/**
 * The production requirements learning pipeline: deploy → monitor for durationDays → analyze incidents and
 * variance → detect patterns → refine requirements → fine-tune → report.
 */
export async function learningCycle(rawInput: unknown, carried?: CycleState): Promise<CycleReport> {
  const input = acceptInput(parseCycleInput(rawInput), 'InvalidCycleInput');
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
  const cycle: Cycle = { rawInput, input, checksPerDay, state, refinements: [], nextCheckAt: null };
  handleOperators(cycle);
  if (!carried) {
    await deploy(cycle);
    if (aborted(cycle)) return finish(cycle, {});
    enter(cycle, 'monitor');
  }
  await monitor(cycle);
  if (aborted(cycle)) return finish(cycle, {});
  return learn(cycle);
}

const aborted = ({ state }: Cycle) => state.abortReason !== null;

function enter({ state }: Cycle, phase: CyclePhase): void {
  state.phase = phase;
  upsertSearchAttributes([{ key: cycleSearchAttributes.phase, value: phase }]);
}

/** Remembers a deployment once: addApplication for an application the deploy phase has yet to reach deploys it first. */
function track({ state }: Cycle, deployment: CycleDeployment): CycleDeployment {
  if (!state.deployments.some((d) => d.application === deployment.application)) state.deployments.push(deployment);
  return deployment;
}

function handleOperators(cycle: Cycle): void {
  const { state, checksPerDay } = cycle;
  setHandler(progressQuery, () => ({
    cycleId: state.cycleId,
    phase: state.phase,
    paused: state.paused,
    day: Math.min(Math.floor(state.checksDone / checksPerDay) + 1, Math.ceil(state.checksTotal / checksPerDay)),
    days: state.checksTotal / checksPerDay,
    checksDone: state.checksDone,
    checksTotal: state.checksTotal,
    nextCheckAt: cycle.nextCheckAt,
    applications: state.deployments.map((d) => d.application),
    incidentsByType: state.incidentsByType,
    refinements: cycle.refinements,
    abortReason: state.abortReason,
    run: state.run,
  }));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(abortSignal, ({ reason }) => void (state.abortReason ??= reason || 'aborted without a reason'));
  setHandler(extendSignal, ({ days }) => {
    if (!(days > 0)) {
      log.warn('extend ignored: days must be positive', { days });
      return;
    }
    state.checksTotal += Math.round(days * checksPerDay);
  });
  setHandler(addApplicationUpdate, ({ application }) => addApplication(cycle, application), {
    validator: ({ application }) => {
      const id = applicationIdSchema.safeParse(application);
      if (!id.success) throw new Error(`application: ${String(id.error.issues[0]?.message)}`);
      if (state.deployments.some((d) => d.application === application))
        throw new Error(`application: ${String(application)} is already in this cycle`);
      if (state.phase !== 'deploy' && state.phase !== 'monitor')
        throw new Error(`application: the cycle is past monitoring (${state.phase})`);
    },
  });
}

async function addApplication(cycle: Cycle, application: string): Promise<CycleDeployment> {
  const deployment = await deployApplication({ cycleId: cycle.state.cycleId, application }).catch((err: unknown) => {
    // The caller should read why (an unknown application), not "Activity task failed".
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)
      throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
    throw err;
  });
  return track(cycle, deployment);
}

/** The deploy phase: the cycle recorded, then its applications deployed one by one until an abort. */
async function deploy(cycle: Cycle): Promise<void> {
  const { state } = cycle;
  upsertSearchAttributes([{ key: cycleSearchAttributes.cycle, value: state.cycleId }]);
  enter(cycle, 'deploy');
  await beginCycle({ cycleId: state.cycleId, input: cycle.rawInput });
  for (const application of cycle.input.applications) {
    if (aborted(cycle)) break;
    track(cycle, await deployApplication({ cycleId: state.cycleId, application }));
  }
}

/** The monitor phase: a check every checkInterval until checksTotal, the clock stopped while paused. */
async function monitor(cycle: Cycle): Promise<void> {
  const { state, input } = cycle;
  while (state.checksDone < state.checksTotal && !aborted(cycle)) {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_CAP) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof learningCycle>(cycle.rawInput, { ...state, run: state.run + 1 });
    }
    if (state.paused) {
      cycle.nextCheckAt = null;
      await condition(() => !state.paused || aborted(cycle));
      continue;
    }
    cycle.nextCheckAt = new Date(Date.now() + input.checkInterval).toISOString();
    // A durable timer that a pause or abort cuts short; a cut-short interval does not count, so pausing stops the clock.
    if (await condition(() => state.paused || aborted(cycle), input.checkInterval)) continue;
    const result = await runCheck({ cycleId: state.cycleId, checkNo: state.checksDone, deployments: state.deployments, open: state.open });
    state.checksDone++;
    state.open = result.open;
    for (const o of result.opened) state.incidentsByType[o.type] = (state.incidentsByType[o.type] ?? 0) + 1;
  }
  cycle.nextCheckAt = null;
}

/** After monitoring: analyze → patterns → refine → fine-tune, each phase ending the cycle early on an abort. */
async function learn(cycle: Cycle): Promise<CycleReport> {
  const { state, input } = cycle;
  enter(cycle, 'analyze');
  const analysis = await analyzeIncidents({ cycleId: state.cycleId, deployments: state.deployments, checksRun: state.checksDone });
  if (aborted(cycle)) return finish(cycle, {});
  enter(cycle, 'patterns');
  const { systematicIssues } = await detectPatterns({ deficiencies: analysis.deficiencies });
  if (aborted(cycle) || !input.autoRefine) return finish(cycle, { systematicIssues });

  enter(cycle, 'refine');
  const refined = await refineRequirements({ cycleId: state.cycleId, deployments: state.deployments, deficiencies: analysis.deficiencies });
  cycle.refinements = refined.refinements;
  const { refinements } = refined;
  if (aborted(cycle)) return finish(cycle, { systematicIssues, refinements });

  enter(cycle, 'fine-tune');
  const training = await fineTune(cycle, refined.samples);
  return finish(cycle, { systematicIssues, refinements, training });
}

/** Starts a retrainModel child (abandoned on close) when there are samples enough and autoTrain allows. */
async function fineTune({ state, input }: Cycle, samples: Parameters<typeof trainingDecision>[0]): Promise<Training> {
  const decision = trainingDecision(samples, input.autoTrain);
  if (!decision.start) {
    log.info('model not retrained', { reason: decision.reason, samples: decision.samples });
    return decision;
  }
  const child = await startChild(retrainModel, {
    workflowId: `${state.cycleId}/retrain`,
    args: [{ modelId: input.modelId, trigger: 'learning_cycle', learningCycleId: state.cycleId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return { ...decision, retrainWorkflowId: child.workflowId };
}

/** The report phase: the cycle's findings recorded, completed or aborted. */
async function finish(cycle: Cycle, findings: Findings): Promise<CycleReport> {
  const { state, checksPerDay } = cycle;
  await condition(allHandlersFinished);
  enter(cycle, aborted(cycle) ? 'aborted' : 'report');
  const report = await finishCycle({
    cycleId: state.cycleId,
    status: aborted(cycle) ? 'aborted' : 'completed',
    ...(state.abortReason ? { abortReason: state.abortReason } : {}),
    durationDays: state.checksTotal / checksPerDay,
    checksRun: state.checksDone,
    checksPerDay,
    deployments: state.deployments,
    systematicIssues: findings.systematicIssues ?? [],
    refinements: findings.refinements ?? [],
    training: findings.training ?? { start: false, samples: 0, reason: 'not enough samples' },
  });
  if (!aborted(cycle)) enter(cycle, 'completed');
  return report;
}
