/**
 * Differences within this are equal: 0.85 − 0.83 is 0.020000000000000018 in binary floating point and must not
 * count as a drop of more than 0.02.
 */
const EPSILON = 1e-9;

/** value > limit, thresholds being inclusive: a value exactly at its limit passes. */
export const exceeds = (value: number, limit: number): boolean => value > limit + EPSILON;
