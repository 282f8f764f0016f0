/**
 * Holm–Bonferroni step-down adjusted p-values (Holm 1979): testing several metrics at once keeps the chance of any
 * false "significant" at most alpha when each adjusted p is compared with alpha. Returned in the input order.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    // The max keeps adjusted values monotone in the raw ones, as the step-down procedure requires.
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
