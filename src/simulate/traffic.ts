import { generateRequirements, type Phrasing } from '../reference/generator.js';
import { checkOutput } from '../reference/task.js';

export interface TrafficOptions {
  routerUrl: string;
  modelId: string;
  apiToken?: string;
  /** Stop after this long or after `maxRequests`, whichever comes first. */
  durationMs: number;
  maxRequests?: number;
  concurrency?: number;
  users?: number;
  seed?: number;
  phrasing?: Phrasing;
}

export interface VersionTally {
  requests: number;
  passRateSum: number;
  errors: number;
}

/**
 * Sends reference-task requirements through the router over HTTP and posts feedback computed by really
 * checking each served output against what the requirement needs (the reference task's "tests").
 */
export async function simulateTraffic(opts: TrafficOptions): Promise<Map<string, VersionTally>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiToken) headers.authorization = `Bearer ${opts.apiToken}`;
  const requirements = generateRequirements({ seed: opts.seed ?? 42, count: 500, phrasing: opts.phrasing });
  const tally = new Map<string, VersionTally>();
  const deadline = Date.now() + opts.durationMs;
  const max = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  let sent = 0;

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${opts.routerUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 400 && res.status !== 500) throw new Error(`${path} answered ${res.status}: ${String(json.error)}`);
    return { status: res.status, json };
  };

  const loop = async () => {
    while (Date.now() < deadline && sent < max) {
      const i = sent++;
      const requirement = requirements[i % requirements.length]!;
      const started = performance.now();
      const { status, json } = await post('/v1/infer', {
        modelId: opts.modelId,
        input: { text: requirement.text },
        userKey: `user-${i % (opts.users ?? 200)}`,
      });
      const version = String(json.version);
      let t = tally.get(version);
      if (!t) tally.set(version, (t = { requests: 0, passRateSum: 0, errors: 0 }));
      t.requests++;
      if (status === 500) {
        t.errors++;
      } else {
        const label = (json.output as { label: string }).label;
        const check = checkOutput(requirement, label);
        t.passRateSum += check.testPassRate;
        await post('/v1/feedback', {
          requestId: json.requestId,
          testPassRate: check.testPassRate,
          implementationVariance: check.implementationVariance,
          latencyMs: performance.now() - started,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, loop));
  return tally;
}
