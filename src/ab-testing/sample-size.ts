import jStat from 'jstat';
import { z } from 'zod';

export const sampleSizeInputSchema = z
  .strictObject({
    /** The control's rate (pass rate, success rate), a proportion. */
    baseline: z.number().gt(0).lt(1),
    /** Smallest absolute change of that rate worth detecting. */
    mde: z.number().gt(0).lt(1),
    alpha: z.number().gt(0).lt(1).default(0.05),
    power: z.number().gt(0).lt(1).default(0.8),
    requestsPerHour: z.number().gt(0),
    /** Percent of traffic to variant B. */
    trafficSplit: z.number().gt(0).lt(100).default(50),
  })
  .refine((v) => v.baseline + v.mde < 1, { error: 'baseline + mde must stay below 1', path: ['mde'] });

export interface SampleSizePlan {
  samplesPerArm: number;
  totalSamples: number;
  /** Hours at requestsPerHour until the smaller arm has samplesPerArm. */
  hours: number;
}

/**
 * Requests per arm for a two-sided two-proportion z-test to detect baseline → baseline + mde (Fleiss' formula
 * without continuity correction):
 *   n = (z_{1−α/2} √(2 p̄ (1 − p̄)) + z_{power} √(p1(1 − p1) + p2(1 − p2)))² / mde²
 */
export function planSampleSize(input: z.input<typeof sampleSizeInputSchema>): SampleSizePlan {
  const { baseline, mde, alpha, power, requestsPerHour, trafficSplit } = sampleSizeInputSchema.parse(input);
  const p1 = baseline;
  const p2 = baseline + mde;
  const pBar = (p1 + p2) / 2;
  const zAlpha = jStat.normal.inv(1 - alpha / 2, 0, 1);
  const zPower = jStat.normal.inv(power, 0, 1);
  const root = zAlpha * Math.sqrt(2 * pBar * (1 - pBar)) + zPower * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  const samplesPerArm = Math.ceil(root ** 2 / mde ** 2);
  const smallerShare = Math.min(trafficSplit, 100 - trafficSplit) / 100;
  return { samplesPerArm, totalSamples: 2 * samplesPerArm, hours: samplesPerArm / (requestsPerHour * smallerShare) };
}
