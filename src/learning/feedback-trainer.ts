import type { TrainingSampleRecord } from '../db/training-samples.js';
import type { Refinement } from './refinement.js';

/** Fewer samples than this are recorded, not trained on. */
export const MIN_TRAINING_SAMPLES = 10;
export const MAX_SAMPLE_WEIGHT = 5;

/** One improvement a cycle applied: the requirement text before (input) and the improvement made (output) are what
 * the model should learn to write. */
export type TrainingSample = TrainingSampleRecord;

/** min(5, 1 + completeness gain + clarity gain + 0.1 · incidents addressed). */
export function sampleWeight(completenessGain: number, clarityGain: number, incidentsAddressed: number): number {
  return Math.min(MAX_SAMPLE_WEIGHT, 1 + completenessGain + clarityGain + 0.1 * incidentsAddressed);
}

/**
 * One sample per applied improvement. `incidentsByImprovement` counts the incidents whose analysis suggested it.
 */
export function trainingSamples(refinement: Refinement, incidentsByImprovement: ReadonlyMap<string, number>): TrainingSample[] {
  const completenessGain = refinement.completenessAfter - refinement.completenessBefore;
  const clarityGain = refinement.clarityAfter - refinement.clarityBefore;
  return refinement.applied.map((a) => {
    const incidentsAddressed = incidentsByImprovement.get(a.key) ?? 0;
    return {
      application: refinement.application,
      fromVersion: refinement.fromVersion,
      toVersion: refinement.toVersion,
      improvementKey: a.key,
      input: JSON.stringify(a.improvement),
      output: a.description,
      completenessGain,
      clarityGain,
      incidentsAddressed,
      weight: sampleWeight(completenessGain, clarityGain, incidentsAddressed),
    };
  });
}

export type TrainingDecision =
  | { start: true; samples: number; totalWeight: number }
  | { start: false; samples: number; reason: 'not enough samples' | 'auto-train off' };

export function trainingDecision(samples: readonly TrainingSample[], autoTrain: boolean): TrainingDecision {
  if (samples.length < MIN_TRAINING_SAMPLES) return { start: false, samples: samples.length, reason: 'not enough samples' };
  if (!autoTrain) return { start: false, samples: samples.length, reason: 'auto-train off' };
  return { start: true, samples: samples.length, totalWeight: samples.reduce((s, x) => s + x.weight, 0) };
}
