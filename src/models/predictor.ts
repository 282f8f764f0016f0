import type { ContextDocument } from './context-document.js';

/**
 * What the router needs from the model side: run one registered version on one input.
 * The reference model's implementation lives in src/models/model-server.ts; tests may use any other.
 */
export interface PredictionInput {
  text: string;
}

export interface Prediction {
  /** The chosen class (for the reference model: the implementation template's name). */
  label: string;
  /** Probability of the chosen class. */
  confidence: number;
  /** Probabilities of every class, in the model's label order. */
  probabilities: number[];
}

export interface Predictor {
  /** `context`: the serving variant's context document, applied in the model's preprocessing (none: the raw input). */
  predict(modelId: string, version: string, input: PredictionInput, context?: ContextDocument): Promise<Prediction>;
  /** Loads (and verifies) a version ahead of traffic so the first request does not pay for it. */
  warm?(modelId: string, version: string): Promise<void>;
}
