import { InvalidArgumentError } from 'commander';

/** "20s", "2m" or "20" (seconds) → seconds. */
export function parseSeconds(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration such as 20s or 2m`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** A commander argument parser for whole numbers ≥ min. */
export const wholeNumber =
  (min = 0) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ ${min}`);
    return n;
  };

/** A commander parser for a finite number, its error naming the option. */
export const number =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
    return n;
  };
