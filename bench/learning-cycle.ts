import { defined } from '../src/platform/defined.js';
import { simulatedApplications } from '../src/learning/applications/catalog.js';
import { simulateWindow } from '../src/learning/applications/traffic.js';
import { analyzeCycle, checkWindow } from '../src/learning/cycle-analysis.js';
import type { Incident } from '../src/learning/monitor.js';
import type { RequestOutcome } from '../src/learning/outcomes.js';
import type { RequirementsDocument } from '../src/learning/requirements.js';
import { clarityScore, completenessScore } from '../src/learning/scores.js';

/**
 * The product's headline: one learning cycle over the simulated applications (7 days of hourly checks), its
 * refinements redeployed, and a second cycle on the refined requirements. Baseline = the first cycle, same run.
 */
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const CHECKS_PER_DAY = Number(process.env.BENCH_CHECKS_PER_DAY ?? 24);
const REQUESTS_PER_CHECK = Number(process.env.BENCH_REQUESTS_PER_CHECK ?? 200);

function runCycle(name: string, documents: Map<string, RequirementsDocument>) {
  const incidents: Incident[] = [];
  const outcomes: RequestOutcome[] = [];
  const open = new Map<string, string[]>();
  for (let check = 0; check < DAYS * CHECKS_PER_DAY; check++) {
    for (const app of simulatedApplications) {
      const document = defined(documents.get(app.id), `document of ${app.id}`);
      const window = simulateWindow(app, document, { window: `${name}/check-${check}`, requests: REQUESTS_PER_CHECK, seed: 7 });
      const result = checkWindow(
        { application: app.id, variants: app.variants, document, outcomes: window },
        open.get(app.id) ?? [],
        `${name}/check-${check}`,
      );
      open.set(app.id, result.open);
      incidents.push(...result.opened);
      // Keep what the analysis reads: every incident's offending requests, and the first day in full for variance.
      const offending = new Set(result.opened.flatMap((i) => i.requestIds));
      outcomes.push(...(check < CHECKS_PER_DAY ? window : window.filter((o) => offending.has(o.requestId))));
    }
  }
  const deployments = simulatedApplications.reduce((n, a) => n + a.variants.length, 0);
  const analysis = analyzeCycle({
    applications: simulatedApplications.map((a) => ({
      application: a.id,
      variants: a.variants,
      document: defined(documents.get(a.id), `document of ${a.id}`),
    })),
    incidents,
    outcomes,
  });
  const byType: Record<string, number> = {};
  for (const i of incidents) byType[i.type] = (byType[i.type] ?? 0) + 1;
  return { incidents: incidents.length, deployments, byType, analysis };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const started = performance.now();
const initial = new Map(simulatedApplications.map((a) => [a.id, a.initialRequirements]));
const first = runCycle('cycle-1', initial);
const refined = new Map(initial);
for (const r of first.analysis.refinements) refined.set(r.application, r.document);
const second = runCycle('cycle-2', refined);

const docs = (m: Map<string, RequirementsDocument>) => [...m.values()];
const result = {
  days: DAYS,
  checksPerDay: CHECKS_PER_DAY,
  requestsPerCheckPerApplication: REQUESTS_PER_CHECK,
  deployments: first.deployments,
  incidentsBefore: first.byType,
  incidentsAfter: second.byType,
  systematicIssues: first.analysis.systematicIssues.map((s) => s.description),
  improvementsApplied: first.analysis.refinements.reduce((n, r) => n + r.applied.length, 0),
  trainingSamples: first.analysis.samples.length,
  incidentsPerDeploymentBefore: first.incidents / first.deployments,
  incidentsPerDeploymentAfter: second.incidents / second.deployments,
  completenessBefore: mean(docs(initial).map(completenessScore)),
  completenessAfter: mean(docs(refined).map(completenessScore)),
  clarityBefore: mean(docs(initial).map(clarityScore)),
  clarityAfter: mean(docs(refined).map(clarityScore)),
  elapsedMs: Math.round(performance.now() - started),
};
console.log(JSON.stringify(result));
