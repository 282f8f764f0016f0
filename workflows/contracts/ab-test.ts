import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AbAnalysis, Variant } from '../../src/ab-testing/analysis.js';
import { workflowType } from './workflow-type.js';

export type AbTestState = 'running' | 'analyzing' | 'winner' | 'inconclusive' | 'aborted';

export interface AbTestProgress {
  state: AbTestState;
  elapsedMs: number;
  snapshotsTaken: number;
  snapshotsPlanned: number;
  /** The analysis over the snapshots so far: means, differences with intervals, p-values (not yet a decision). */
  estimates: AbAnalysis;
}

export interface AbTestResult {
  outcome: 'winner' | 'inconclusive' | 'aborted';
  winner: Variant | null;
  reason: string;
  snapshotsTaken: number;
  analysis: AbAnalysis | null;
}

/** Its input is src/ab-testing/input.ts's abTestInputSchema, validated by the workflow (InvalidAbTestInput). */
export const abTest = workflowType<(rawInput: unknown) => Promise<AbTestResult>>('abTest');

/** Analyze now with the snapshots taken so far. */
export const stopSignal = defineSignal<[{ reason?: string }?]>('stop');
/** End without a decision; all traffic goes back to variant A. */
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');
export const progressQuery = defineQuery<AbTestProgress>('progress');
