/**
 * How many requests a bad canary serves before it is rolled back, and how often a good one is rolled back anyway,
 * under the default rollout (10% for 6h, 50% for 12h, then 100%, a check every 5 minutes, minSamples 100) with:
 *   fixed            the specs' rule: each check on its window's means (pass rate < 0.70, drop > 2 points, …);
 *   sequential       the same absolute rules, the drop judged by the always-valid test (src/rollout/sequential.ts);
 *   fixedCalibrated  the fixed rule with its drop threshold widened until it falsely rolls back ≤ alpha of the
 *                    good rollouts here: the fixed-window rule at the sequential rule's false-rollback budget.
 * Both go through evaluateCheck and stageGate, the functions the workflow runs. Traffic: --rows-per-check feedback
 * rows per 5 minutes over both versions, split by the stage's percent; each row passes with its version's pass rate.
 * A gate that says no holds the stage (checks go on). A bad candidate never rolled back is counted through the
 * end of the dwells and --promoted-hours at 100%; a good one is followed until it reaches 100%.
 * Last line: JSON.
 */
import { defined } from '../src/platform/defined.js';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { evaluateCheck } from '../src/rollout/health-check.js';
import { parseRolloutInput } from '../src/rollout/input.js';
import type { VersionMetrics } from '../src/rollout/metrics.js';
import { initialSequentialState, type SequentialConfig, type SequentialState } from '../src/rollout/sequential.js';
import { stageGate } from '../src/rollout/stage-gate.js';
import type { Thresholds } from '../src/rollout/thresholds.js';
import { createTrafficSimulator, mergeMetrics } from './support/rollout-traffic.js';

const args = z
  .object({
    runs: z.coerce.number().int().min(100).default(1000),
    seed: z.coerce.number().int().default(1),
    'rows-per-check': z.coerce.number().int().min(10).default(1200),
    'baseline-pass-rate': z.coerce.number().gt(0).lt(1).default(0.85),
    'promoted-hours': z.coerce.number().min(0).default(24),
    'mixing-sd': z.coerce.number().optional(),
    'max-pass-rate-drop': z.coerce.number().optional(),
  })
  .parse(
    parseArgs({
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        'rows-per-check': { type: 'string' },
        'baseline-pass-rate': { type: 'string' },
        'promoted-hours': { type: 'string' },
        'mixing-sd': { type: 'string' },
        'max-pass-rate-drop': { type: 'string' },
      },
    }).values,
  );

// The defaults a rollout started with only { modelId, candidateVersion } runs with, unless overridden here.
const parsed = parseRolloutInput({
  modelId: 'bench',
  candidateVersion: 'candidate',
  baselineVersion: 'baseline',
  sequential: { mixingSd: args['mixing-sd'] },
  thresholds: { maxPassRateDrop: args['max-pass-rate-drop'] },
});
if (!parsed.ok) throw new Error(parsed.error);
const rollout = parsed.value;
const DROPS = [0.02, 0.05, 0.1] as const;
const HOUR = 3_600_000;
const timedDwells = rollout.stages.reduce((sum, s) => sum + (s.dwellMs === 'manual' ? 0 : s.dwellMs), 0);
const horizonMs = timedDwells + args['promoted-hours'] * HOUR;
const rowsAt = (percent: number) => Math.round((args['rows-per-check'] * percent) / 100);

interface Rule {
  thresholds: Thresholds;
  sequential: SequentialConfig;
}

interface RuleRun {
  state: SequentialState;
  failures: number;
  /** Candidate requests served when the rule rolled back; null while it has not. */
  rolledBackAfter: number | null;
}

interface RolloutRun {
  byRule: RuleRun[];
  servedByCandidate: number;
  promotedAtMs: number | null;
  /** The largest baseline − candidate pass rate of a window the baseline-relative rules looked at. */
  maxWindowDrop: number;
}

/** One rollout on simulated traffic, every rule watching the same requests. */
function simulate(seed: number, candidatePassRate: number, rules: Rule[], stopAtPromotion: boolean): RolloutRun {
  const traffic = createTrafficSimulator(seed);
  const byRule: RuleRun[] = rules.map(() => ({ state: initialSequentialState(), failures: 0, rolledBackAfter: null }));
  let stage = 0;
  let stageElapsed = 0;
  let stageData: { candidate: VersionMetrics; baseline: VersionMetrics } | null = null;
  let inconclusiveInRow = 0;
  let paused = false;
  let served = 0;
  let maxWindowDrop = -1;
  for (let now = rollout.checkIntervalMs; now <= horizonMs; now += rollout.checkIntervalMs) {
    const { percent, dwellMs } = defined(rollout.stages[stage], `stage ${stage}`);
    const candidate = traffic.window('candidate', rowsAt(percent), candidatePassRate);
    const baseline = traffic.window('baseline', args['rows-per-check'] - candidate.samples, args['baseline-pass-rate']);
    served += candidate.samples;
    if (!paused) stageElapsed += rollout.checkIntervalMs;

    rules.forEach((rule, i) => {
      const run = defined(byRule[i], `rule ${i}`);
      if (run.rolledBackAfter !== null) return;
      const check = evaluateCheck({
        candidate,
        baseline,
        thresholds: rule.thresholds,
        minSamples: rollout.minSamples,
        sequential: { config: rule.sequential, state: run.state },
      });
      run.state = check.sequentialState;
      if (check.decision === 'fail' && ++run.failures > rollout.failureLimit) run.rolledBackAfter = served;
    });
    if (!stopAtPromotion && byRule.every((r) => r.rolledBackAfter !== null)) break;

    if (candidate.samples < rollout.minSamples) {
      paused ||= ++inconclusiveInRow >= rollout.maxInconclusiveChecks;
    } else {
      inconclusiveInRow = 0;
      if (baseline.samples >= rollout.minSamples) maxWindowDrop = Math.max(maxWindowDrop, baseline.passRate - candidate.passRate);
    }

    stageData = stageData
      ? { candidate: mergeMetrics(stageData.candidate, candidate), baseline: mergeMetrics(stageData.baseline, baseline) }
      : { candidate, baseline };
    const dwellOver = dwellMs !== 'manual' && stageElapsed >= dwellMs;
    if (!paused && dwellOver && stage < rollout.stages.length - 1) {
      // As the workflow before patched('canary-stage-gate-rollback'): a failed gate holds, no floor (not yet re-measured).
      const gate = stageGate({
        stageIndex: stage,
        percent: defined(rollout.stages[stage], `stage ${stage}`).percent,
        ...stageData,
        minSamples: rollout.minSamples,
        floor: null,
      });
      if (gate.advance) {
        stage += 1;
        stageElapsed = 0;
        stageData = null;
        if (stage === rollout.stages.length - 1 && stopAtPromotion) {
          return { byRule, servedByCandidate: served, promotedAtMs: now, maxWindowDrop };
        }
      }
    }
  }
  return { byRule, servedByCandidate: served, promotedAtMs: null, maxWindowDrop };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const runSeeds = (offset: number) => Array.from({ length: args.runs }, (_, i) => args.seed * 10_000_019 + offset * 1_000_003 + i);

const specs: Rule = { thresholds: rollout.thresholds, sequential: { ...rollout.sequential, enabled: false } };
const sequential: Rule = { thresholds: rollout.thresholds, sequential: rollout.sequential };
const started = performance.now();

// Good candidates: exactly as good as the baseline.
const good = runSeeds(0).map((seed) => simulate(seed, args['baseline-pass-rate'], [specs, sequential], true));
const falseRollbackRate = (runs: RolloutRun[], rule: number) =>
  mean(runs.map((r) => (defined(r.byRule[rule], `rule ${rule}`).rolledBackAfter !== null ? 1 : 0)));

// The narrowest window drop threshold (in steps of half a point) the fixed rule can use within the false-rollback budget.
const alpha = rollout.sequential.alpha;
let calibratedDrop = rollout.thresholds.maxPassRateDrop;
while (mean(good.map((r) => (r.maxWindowDrop > calibratedDrop + 1e-9 ? 1 : 0))) > alpha) calibratedDrop = round(calibratedDrop + 0.005, 3);
const fixedCalibrated: Rule = { thresholds: { ...rollout.thresholds, maxPassRateDrop: calibratedDrop }, sequential: specs.sequential };
const goodCalibrated = runSeeds(0).map((seed) => simulate(seed, args['baseline-pass-rate'], [fixedCalibrated], true));

const RULES = { fixed: specs, sequential, fixedCalibrated };
const ruleNames = Object.keys(RULES) as (keyof typeof RULES)[];
type PerDrop = Record<string, number>;
const badRequests = Object.fromEntries(ruleNames.map((name) => [name, {}])) as Record<keyof typeof RULES, PerDrop>;
const caughtShare = Object.fromEntries(ruleNames.map((name) => [name, {}])) as Record<keyof typeof RULES, PerDrop>;
DROPS.forEach((drop, d) => {
  const runs = runSeeds(d + 1).map((seed) => simulate(seed, args['baseline-pass-rate'] - drop, Object.values(RULES), false));
  const key = String(Math.round(drop * 100));
  ruleNames.forEach((name, i) => {
    badRequests[name][key] = Math.round(mean(runs.map((r) => defined(r.byRule[i], `rule ${i}`).rolledBackAfter ?? r.servedByCandidate)));
    caughtShare[name][key] = round(mean(runs.map((r) => (defined(r.byRule[i], `rule ${i}`).rolledBackAfter !== null ? 1 : 0))), 3);
  });
});

const promoted = good.filter((r): r is RolloutRun & { promotedAtMs: number } => r.promotedAtMs !== null);
console.log(
  JSON.stringify({
    scenario: {
      rowsPerCheck: args['rows-per-check'],
      candidateRowsPerCheckAt10Percent: rowsAt(10),
      checkEveryMinutes: rollout.checkIntervalMs / 60_000,
      stages: rollout.stages.map((s) => `${s.percent}%${s.dwellMs === 'manual' ? ':manual' : s.dwellMs ? `:${s.dwellMs / HOUR}h` : ''}`),
      baselinePassRate: args['baseline-pass-rate'],
      perRowPassRate: 'Bernoulli',
      minSamples: rollout.minSamples,
      alpha,
      mixingSd: rollout.sequential.mixingSd,
      sequentialTolerance: rollout.thresholds.maxPassRateDrop,
      runsPerCandidate: args.runs,
      seed: args.seed,
      badCandidateHorizonHours: horizonMs / HOUR,
    },
    fixedFalseRollbackRate: round(falseRollbackRate(good, 0)),
    sequentialFalseRollbackRate: round(falseRollbackRate(good, 1)),
    fixedCalibratedMaxPassRateDrop: calibratedDrop,
    fixedCalibratedFalseRollbackRate: round(falseRollbackRate(goodCalibrated, 0)),
    goodPromotedShare: round(promoted.length / good.length, 3),
    goodMeanHoursToPromotion: round(mean(promoted.map((r) => r.promotedAtMs)) / HOUR, 2),
    badRequests,
    caughtShare,
    exposureReductionAt5pt: round(
      defined(badRequests.fixed['5'], 'fixed at 5pt') / defined(badRequests.sequential['5'], 'sequential at 5pt'),
      2,
    ),
    exposureReductionAt5ptVsCalibratedFixed: round(
      defined(badRequests.fixedCalibrated['5'], 'fixedCalibrated at 5pt') / defined(badRequests.sequential['5'], 'sequential at 5pt'),
      2,
    ),
    seconds: round((performance.now() - started) / 1000, 1),
  }),
);
