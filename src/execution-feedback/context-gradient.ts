import type { ContextFeature } from '../models/context-document.js';
import type { ExecutionFeedback } from './feedback.js';

/** The specs' learning constants (ContextUpdateStrategy: learning_rate=0.01, momentum_factor=0.9). */
export const learningRate = 0.01;
export const momentum = 0.9;
/** A dimension's gradient below its line makes the update add a context aimed at that failure. */
export const newContextThresholds = { compilation: -0.5, tests: -0.3, security: -0.4 } as const;
/** Per-feature gradients. */
export const featureGradients = { fixedItsFailure: 0.2, success: 0.1, failure: -0.05, unused: 0 } as const;

export type Dimension = 'compilation' | 'tests' | 'performance' | 'security' | 'quality';

export interface ContextGradient {
  dimensions: Partial<Record<Dimension, number>>;
  features: Record<string, number>;
}

/**
 * The specs' context gradient, one term per dimension the event reports:
 * compilation 1 or −errors/10; tests 2·pass rate − 1; performance ln(speedup); security −(count + severity/10);
 * quality −complexity/100 − duplication/100.
 */
export function dimensionGradients(fb: ExecutionFeedback): Partial<Record<Dimension, number>> {
  const g: Partial<Record<Dimension, number>> = {};
  if (fb.compilation) g.compilation = fb.compilation.success ? 1 : -fb.compilation.errors / 10;
  // (2·passed − run)/run is 2·pass rate − 1 without the rounding of 2·(passed/run) − 1, so a threshold is met exactly.
  if (fb.tests && fb.tests.run > 0) g.tests = (2 * fb.tests.passed - fb.tests.run) / fb.tests.run;
  if (fb.performance) g.performance = Math.log(fb.performance.speedup);
  if (fb.security) g.security = -(fb.security.count + fb.security.severity / 10);
  if (fb.quality) g.quality = -fb.quality.complexity / 100 - fb.quality.duplication / 100;
  return g;
}

/** The event passed on every dimension it reports (a quality-gate failure counts as failing). */
function succeeded(g: Partial<Record<Dimension, number>>, fb: ExecutionFeedback): boolean {
  return (g.compilation ?? 1) === 1 && (g.tests ?? 1) === 1 && (fb.security?.count ?? 0) === 0 && fb.qualityGatesPassed !== false;
}

/** The dimension a constraint of that kind was added for came out clean in this event. */
function kindPassed(kind: ContextFeature['kind'], g: Partial<Record<Dimension, number>>, fb: ExecutionFeedback): boolean {
  if (kind === 'compilation') return g.compilation === 1;
  if (kind === 'tests') return g.tests === 1;
  if (kind === 'security') return fb.security !== undefined && fb.security.count === 0;
  return false;
}

/**
 * Per-feature gradients: 0.2 for a constraint added against a failure that this event no longer shows, 0.1 for
 * any other feature used in a successful event, −0.05 used in a failed one, 0 when not used (or the event says
 * nothing). Without the event's featuresUsed, all of the context is taken as used.
 */
export function contextGradient(fb: ExecutionFeedback, features: readonly ContextFeature[]): ContextGradient {
  const used = fb.featuresUsed && new Set(fb.featuresUsed);
  const dimensions = dimensionGradients(fb);
  const informative = Object.keys(dimensions).length > 0 || fb.qualityGatesPassed !== undefined;
  const ok = succeeded(dimensions, fb);
  const perFeature: Record<string, number> = {};
  for (const f of features) {
    if (!informative || (used && !used.has(f.id))) perFeature[f.id] = featureGradients.unused;
    else if (f.kind !== 'general' && kindPassed(f.kind, dimensions, fb)) perFeature[f.id] = featureGradients.fixedItsFailure;
    else perFeature[f.id] = ok ? featureGradients.success : featureGradients.failure;
  }
  return { dimensions, features: perFeature };
}

export interface LearningState {
  /** What the updates built for each feature: w ← w + learning rate · m. Read when the model's input is built. */
  weights: Record<string, number>;
  /** Each feature's momentum m. */
  momentum: Record<string, number>;
}

/**
 * The specs' ContextUpdateStrategy.update_context, for every feature the gradient names (features of the context;
 * the dimension gradients act through contextsToAdd instead, as add_compilation_context and the others do there):
 *   m ← momentum_factor · m + (1 − momentum_factor) · g        (0.9 · m + 0.1 · g)
 * then the feature's update with the momentum and the learning rate, which for a feature's weight is
 *   w ← w + learning_rate · m                                  (w + 0.01 · m)
 */
export function momentumUpdate(state: LearningState, gradient: ContextGradient): LearningState {
  const weights = { ...state.weights };
  const m = { ...state.momentum };
  for (const [feature, g] of Object.entries(gradient.features)) {
    m[feature] = momentum * (m[feature] ?? 0) + (1 - momentum) * g;
    weights[feature] = (weights[feature] ?? 0) + learningRate * m[feature];
  }
  return { weights, momentum: m };
}

/** The failure kinds whose gradient fell below its line, in a fixed order. */
export function contextsToAdd(gradient: ContextGradient): (keyof typeof newContextThresholds)[] {
  return (Object.keys(newContextThresholds) as (keyof typeof newContextThresholds)[]).filter(
    (d) => gradient.dimensions[d] !== undefined && gradient.dimensions[d] < newContextThresholds[d],
  );
}
