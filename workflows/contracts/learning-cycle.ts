import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CycleDeployment } from '../../activities/learning.js';
import type { IncidentType } from '../../src/learning/monitor.js';
import type { CycleReport, RefinementSummary } from '../../src/learning/report.js';
import { LearnloopCycle, LearnloopPhase } from '../../src/temporal/search-attributes.js';
import { workflowType } from './workflow-type.js';

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

/** What continue-as-new carries into the next run; runs begun on earlier code hand on this shape too. */
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

/** Its input is src/learning/cycle-input.ts's cycleInputSchema, validated by the workflow (InvalidCycleInput). */
export const learningCycle = workflowType<(rawInput: unknown, carried?: CycleState) => Promise<CycleReport>>('learningCycle');

export const progressQuery = defineQuery<CycleProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const abortSignal = defineSignal<[{ reason: string }]>('abort');
export const extendSignal = defineSignal<[{ days: number }]>('extend');
export const addApplicationUpdate = defineUpdate<CycleDeployment, [{ application: string }]>('addApplication');

/** The search attributes a cycle sets: its id once, its phase as it goes. */
export const cycleSearchAttributes = { cycle: LearnloopCycle, phase: LearnloopPhase } as const;
