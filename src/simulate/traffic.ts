import { defined } from '../platform/defined.js';
import { generateRequirements } from '../reference/generator.js';
import { seededRandom } from '../training/random.js';
import { checkOutput, type Phrasing, type Requirement } from '../reference/task.js';

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
  /** The phrasing family requests are written in (before any drift). */
  phrasing?: Phrasing;
  /**
   * From request `afterRequests` on, each requirement is said in the drifted family with probability `share`:
   * the same needs, new words, as when a product's users change.
   */
  drift?: { afterRequests: number; share: number };
  /**
   * Each requirement is sent this many times in a row. Served at a temperature (SamplingPredictor), each request
   * gets its own sampled output and its own checked feedback, so a weak model still yields some passing outputs.
   */
  samplesPerRequirement?: number;
}

export interface PassTally {
  requests: number;
  passRateSum: number;
}

export interface VersionTally extends PassTally {
  errors: number;
  /** Answered requests by the phrasing they were written in. */
  byPhrasing: Record<Phrasing, PassTally>;
}

/** The requirement request `i` asks about: one list of needs, said in the standard or the drifted family. */
function requirementPicker(opts: TrafficOptions): (i: number) => Requirement {
  const seed = opts.seed ?? 42;
  const base = opts.phrasing ?? 'standard';
  const families = {
    standard: generateRequirements({ seed, count: 500, phrasing: 'standard' }),
    drifted: generateRequirements({ seed, count: 500, phrasing: 'drifted' }),
  };
  const k = opts.samplesPerRequirement ?? 1;
  return (i) => {
    const r = Math.floor(i / k);
    const drifted = opts.drift !== undefined && r * k >= opts.drift.afterRequests && seededRandom(seed + r)() < opts.drift.share;
    const list = families[drifted ? 'drifted' : base];
    return defined(list[r % list.length], `requirement ${r % list.length}`);
  };
}

/**
 * Sends reference-task requirements through the router over HTTP and posts feedback computed by really
 * checking each served output against what the requirement needs (the reference task's "tests").
 */
export async function simulateTraffic(opts: TrafficOptions): Promise<Map<string, VersionTally>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiToken) headers.authorization = `Bearer ${opts.apiToken}`;
  const requirementFor = requirementPicker(opts);
  const tally = new Map<string, VersionTally>();
  const deadline = Date.now() + opts.durationMs;
  const max = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  let sent = 0;

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${opts.routerUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    // 502: the serving model failed (counted as its error, not the router's).
    if (res.status >= 400 && res.status !== 502) throw new Error(`${path} answered ${res.status}: ${String(json.error)}`);
    return { status: res.status, json };
  };

  const loop = async () => {
    while (Date.now() < deadline && sent < max) {
      const i = sent++;
      const requirement = requirementFor(i);
      const { status, json } = await post('/v1/infer', {
        modelId: opts.modelId,
        input: { text: requirement.text },
        userKey: `user-${i % (opts.users ?? 200)}`,
      });
      const version = String(json.version);
      let t = tally.get(version);
      if (!t) {
        const empty = () => ({ requests: 0, passRateSum: 0 });
        tally.set(version, (t = { ...empty(), errors: 0, byPhrasing: { standard: empty(), drifted: empty() } }));
      }
      t.requests++;
      if (status === 502) {
        t.errors++;
      } else {
        const label = (json.output as { label: string }).label;
        const check = checkOutput(requirement, label);
        t.passRateSum += check.testPassRate;
        t.byPhrasing[requirement.phrasing].requests++;
        t.byPhrasing[requirement.phrasing].passRateSum += check.testPassRate;
        await post('/v1/feedback', {
          requestId: json.requestId,
          testPassRate: check.testPassRate,
          implementationVariance: check.implementationVariance,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, loop));
  return tally;
}
