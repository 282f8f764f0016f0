/**
 * The specs' quality gate: a candidate is deployed only if it beats production on the held-out canary set
 * (improvement > 0); an emergency retrain (production is already degrading) may cost up to 2 points
 * (improvement > −0.02), since shipping a model fitted to the new traffic beats waiting for a clear win.
 */
export const GATE_THRESHOLDS = { regular: 0, emergency: -0.02 } as const;

/**
 * Pass rates are means over a few hundred checks, so their difference carries float noise (0.81 − 0.83 is
 * −0.0199999…); rounding to 1e-9 keeps a difference that is exactly at a threshold at it.
 */
const PRECISION = 1e9;

export function passRateImprovement(candidatePassRate: number, productionPassRate: number): number {
  for (const [name, value] of [
    ['candidate', candidatePassRate],
    ['production', productionPassRate],
  ] as const) {
    if (!(value >= 0 && value <= 1)) throw new Error(`${name} pass rate must be within [0, 1], got ${value}`);
  }
  return Math.round((candidatePassRate - productionPassRate) * PRECISION) / PRECISION;
}

export interface GateDecision {
  deploy: boolean;
  improvement: number;
  /** The improvement had to be strictly above this. */
  threshold: number;
  reason: string;
}

export function qualityGate(input: { candidatePassRate: number; productionPassRate: number; emergency: boolean }): GateDecision {
  const improvement = passRateImprovement(input.candidatePassRate, input.productionPassRate);
  const threshold = input.emergency ? GATE_THRESHOLDS.emergency : GATE_THRESHOLDS.regular;
  const deploy = improvement > threshold;
  const rates = `candidate ${input.candidatePassRate.toFixed(4)} vs production ${input.productionPassRate.toFixed(4)}`;
  const reason = `${rates}: improvement ${improvement.toFixed(4)} ${deploy ? '>' : '≤'} ${threshold}${input.emergency ? ' (emergency)' : ''}`;
  return { deploy, improvement, threshold, reason };
}
