import { defined } from '../../src/platform/defined.js';
import { gammaln } from 'simple-statistics';
import { seededRandom } from '../../src/training/random.js';
import type { VersionMetrics } from '../../src/rollout/metrics.js';

/**
 * Simulated feedback for rollout tests and bench/canary-detection.ts: each request's test_pass_rate is 1 with the
 * version's pass rate and 0 otherwise (Bernoulli, the largest spread a mean can have), so a window's passes are
 * Binomial(rows, passRate), drawn exactly by inverting its CDF rather than row by row.
 */
export function createTrafficSimulator(seed: number) {
  const rand = seededRandom(seed);
  const cdfs = new Map<string, Float64Array>();

  function binomialCdf(n: number, p: number): Float64Array {
    const key = `${n}:${p}`;
    let cdf = cdfs.get(key);
    if (!cdf) {
      cdf = new Float64Array(n + 1);
      const logNFactorial = gammaln(n + 1);
      let total = 0;
      for (let x = 0; x <= n; x++) {
        total += Math.exp(logNFactorial - gammaln(x + 1) - gammaln(n - x + 1) + x * Math.log(p) + (n - x) * Math.log1p(-p));
        cdf[x] = total;
      }
      cdfs.set(key, cdf);
    }
    return cdf;
  }

  function passes(rows: number, passRate: number): number {
    if (rows === 0 || passRate === 0) return 0;
    if (passRate === 1) return rows;
    const cdf = binomialCdf(rows, passRate);
    const u = rand() * defined(cdf[rows], `cdf at ${rows}`);
    let lo = 0;
    let hi = rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (defined(cdf[mid], `cdf at ${mid}`) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** One version's metrics over one window of `rows` feedback rows; variance, errors and latency held steady. */
  function window(version: string, rows: number, passRate: number): VersionMetrics {
    const passed = passes(rows, passRate);
    return metricsFor(version, { samples: rows, passRate: rows > 0 ? passed / rows : 0, passRateSumSq: passed });
  }

  return { window };
}

/** A window's metrics: healthy values unless overridden; passRateSumSq as if every row passed or failed outright. */
export function metricsFor(version: string, overrides: Partial<VersionMetrics> = {}): VersionMetrics {
  const samples = overrides.samples ?? 200;
  const passRate = overrides.passRate ?? 0.85;
  return {
    version,
    samples,
    passRate,
    passRateSumSq: passRate * samples,
    variance: 0.01,
    errorRate: 0,
    latencyP95Ms: samples > 0 ? 100 : null,
    ...overrides,
  };
}

/** Two windows' metrics as one, the way the database would report the longer window (latency, held steady here, keeps the later p95). */
export function mergeMetrics(a: VersionMetrics, b: VersionMetrics): VersionMetrics {
  const samples = a.samples + b.samples;
  const mean = (x: number, y: number) => (samples > 0 ? (x * a.samples + y * b.samples) / samples : 0);
  return {
    version: a.version,
    samples,
    passRate: mean(a.passRate, b.passRate),
    passRateSumSq: a.passRateSumSq + b.passRateSumSq,
    variance: mean(a.variance, b.variance),
    errorRate: mean(a.errorRate, b.errorRate),
    latencyP95Ms: b.latencyP95Ms ?? a.latencyP95Ms,
  };
}
