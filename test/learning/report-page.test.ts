import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { simulatedApplications } from '../../src/learning/applications/catalog.js';
import { simulateWindow } from '../../src/learning/applications/traffic.js';
import { analyzeCycle, checkWindow } from '../../src/learning/cycle-analysis.js';
import { trainingDecision } from '../../src/learning/feedback-trainer.js';
import type { Incident } from '../../src/learning/monitor.js';
import type { RequestOutcome } from '../../src/learning/outcomes.js';
import { reliabilityByRequirement, type CheckRecord } from '../../src/learning/performance.js';
import { renderReportHtml } from '../../src/learning/report-html.js';
import { buildReport, summarizeRefinement, type CycleReport } from '../../src/learning/report.js';

// Debian's Chromium, not a Playwright browser download: the machines here reach no CDN, only the Debian/npm mirrors.
const CHROMIUM = '/usr/bin/chromium';
// A developer machine without Chromium may skip; CI installs it (.ci/run), so there a missing browser must fail.
const skip =
  !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is missing (apt-get install chromium); set CI=1 to fail instead` : false;

/**
 * The report a 3-day cycle over the simulated applications ends with, assembled as the learningCycle activities do
 * (runCheck → analyzeIncidents/detectPatterns/refineRequirements → finishCycle) but in memory, so no Temporal or
 * PostgreSQL is needed: the page is checked against what the real code produces, not a hand-written fixture.
 */
function simulatedCycleReport(): CycleReport {
  const days = 3;
  const checksPerDay = 24;
  const cycleId = 'cycle-report-page';
  const incidents: { incident: Incident; checkNo: number }[] = [];
  const outcomes: RequestOutcome[] = [];
  const checks: CheckRecord[] = [];
  const open = new Map<string, string[]>();
  const checksTotal = days * checksPerDay;
  for (let checkNo = 0; checkNo < checksTotal; checkNo++) {
    for (const app of simulatedApplications) {
      const document = app.initialRequirements;
      const window = simulateWindow(app, document, { window: `${cycleId}/check-${checkNo}`, requests: 100, seed: 1 });
      const result = checkWindow(
        { application: app.id, variants: app.variants, document, outcomes: window },
        open.get(app.id) ?? [],
        `${cycleId}/check-${checkNo}`,
      );
      open.set(app.id, result.open);
      incidents.push(...result.opened.map((incident) => ({ incident, checkNo })));
      for (const e of result.evaluations) {
        checks.push({
          application: e.application,
          version: e.requirementsVersion,
          incidents: result.opened.filter((i) => i.variant === e.variant).length,
          metrics: e.metrics,
        });
      }
      // What analyzeIncidents reads back: every incident's offending requests and the last 3 checks in full.
      const offending = new Set(result.opened.flatMap((i) => i.requestIds));
      outcomes.push(...(checkNo >= checksTotal - 3 ? window : window.filter((o) => offending.has(o.requestId))));
    }
  }
  const analysis = analyzeCycle({
    applications: simulatedApplications.map((a) => ({ application: a.id, variants: a.variants, document: a.initialRequirements })),
    incidents: incidents.map((i) => i.incident),
    outcomes,
  });
  return buildReport({
    cycleId,
    status: 'completed',
    durationDays: days,
    checksRun: checksTotal,
    deployments: simulatedApplications.flatMap((a) =>
      a.variants.map((variant) => ({ application: a.id, variant, requirementsVersion: a.initialRequirements.version })),
    ),
    incidents: incidents.map(({ incident, checkNo }) => ({
      type: incident.type,
      application: incident.application,
      day: Math.floor(checkNo / checksPerDay) + 1,
    })),
    systematicIssues: analysis.systematicIssues,
    refinements: analysis.refinements.map(summarizeRefinement),
    reliability: reliabilityByRequirement(checks),
    training: trainingDecision(analysis.samples, true),
  });
}

/** Pixels in colour (not white, grey or black text): what bars, legend swatches and the threshold rule paint. */
function colouredPixels(png: Buffer): number {
  const { width, height, data } = PNG.sync.read(png);
  let n = 0;
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [data[i * 4]!, data[i * 4 + 1]!, data[i * 4 + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}

describe('the cycle report page in Chromium', { skip }, () => {
  let report: CycleReport;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let pageUrl: string;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: CI must install it (.ci/run does)`);
    report = simulatedCycleReport();
    dir = await mkdtemp(join(tmpdir(), 'learnloop-report-page-'));
    const file = join(dir, 'report.html');
    await writeFile(file, await renderReportHtml(report));
    pageUrl = pathToFileURL(file).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // The page promises to need no script; with JavaScript off, a chart that relied on one would come out empty.
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('requestfailed', (r) => consoleErrors.push(`${r.url()}: ${String(r.failure()?.errorText)}`));
    await context.route('**/*', (route) => {
      requests.push(route.request().url());
      // Nothing leaves the machine even if the page asks: an offline reader would see the same page.
      return route.request().url() === pageUrl ? route.continue() : route.abort();
    });
    await page.goto(pageUrl, { waitUntil: 'load' });
  });
  after(async () => {
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    await (browser as typeof browser | undefined)?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the simulated cycle gives the page something to show', () => {
    assert.deepEqual(Object.keys(report.incidentBreakdown.byType).sort(), [
      'behavioral_deviation',
      'contract_violation',
      'error_rate',
      'latency',
    ]);
    assert.ok(report.refinementImpact.requirements.length > 0, 'refinements for the before/after chart');
    assert.ok(report.reliability.length > 0, 'reliability scores for their chart');
  });

  test('the page carries no script and asks for nothing but its own file', async () => {
    assert.equal(await page.locator('script').count(), 0);
    assert.deepEqual(requests, [pageUrl]);
    assert.deepEqual(consoleErrors, []);
  });

  test("three charts are laid out, their bars as tall as the report's numbers", async () => {
    assert.equal(await page.locator('figure > svg').count(), 3);
    const scores = report.refinementImpact.requirements.flatMap((r) => [
      r.completenessBefore,
      r.completenessAfter,
      r.clarityBefore,
      r.clarityAfter,
    ]);
    const charts = [
      ['Incidents per day, by type', report.incidentBreakdown.perDay.map((d) => d.count)],
      ['Reliability score per requirements version (problematic under 0.6)', report.reliability.map((r) => r.score)],
      ['Requirements completeness and clarity, before and after refinement', scores],
    ] as const;
    for (const [title, values] of charts) {
      const chart = page.locator('figure > svg').filter({ has: page.locator('text', { hasText: title }) });
      assert.ok(await chart.isVisible(), `"${title}" is visible`);
      const box = await chart.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `"${title}" is ${JSON.stringify(box)}`);
      // Vega's SVG renderer draws each bar as a path in a rect mark group, from a zero baseline (stacked or not).
      const heights: number[] = [];
      let baseline = 0;
      for (const bar of await chart.locator('g.mark-rect.role-mark path').all()) {
        const b = await bar.boundingBox();
        assert.ok(
          b && b.width >= 2 && b.x >= box.x && b.x + b.width <= box.x + box.width && b.y >= box.y,
          `a bar of "${title}" drawn inside it: ${JSON.stringify(b)}`,
        );
        heights.push(b.height);
        baseline = Math.max(baseline, b.y + b.height);
      }
      assert.equal(heights.length, values.length, `bars in "${title}"`);
      const pxPerUnit = Math.max(...heights) / Math.max(...values);
      assert.ok(pxPerUnit * Math.max(...values) > 50, `the tallest bar of "${title}" is ${Math.max(...heights)} px`);
      // Sorted, since stacking and facets lay bars out in their own order.
      const drawn = heights.sort((a, b) => a - b);
      const meant = [...values].sort((a, b) => a - b).map((v) => v * pxPerUnit);
      drawn.forEach((h, i) => {
        assert.ok(
          Math.abs(h - meant[i]!) <= 1,
          `"${title}": bars ${drawn.map(Math.round).join(',')} px for ${meant.map(Math.round).join(',')} px`,
        );
      });
      if (title.startsWith('Reliability')) {
        const rules = await chart.locator('g.mark-rule.role-mark line').all();
        assert.equal(rules.length, 1, 'one 0.6 threshold rule');
        const r = await rules[0]!.boundingBox();
        assert.ok(
          r && r.width > 100 && Math.abs(r.y + r.height / 2 - (baseline - 0.6 * pxPerUnit)) <= 1.5,
          `the threshold rule at ${JSON.stringify(r)}, 0.6 is y=${baseline - 0.6 * pxPerUnit}`,
        );
      }
    }
  });

  test('the incidents legend names every incident type, visibly', async () => {
    const incidents = page.locator('figure > svg', { has: page.locator('g.role-title text', { hasText: 'Incidents per day' }) });
    const labels = incidents.locator('g.role-legend g.role-legend-label text');
    const shown = new Set<string>();
    for (const label of await labels.all()) {
      if (await label.isVisible()) shown.add((await label.textContent())!.trim());
    }
    assert.deepEqual([...shown].sort(), Object.keys(report.incidentBreakdown.byType).sort());
  });

  test('the headline numbers read as the report has them', async () => {
    const cell = async (heading: string) => {
      const td = page.locator('tr', { has: page.getByRole('rowheader', { name: heading, exact: true }) }).locator('td');
      assert.ok(await td.isVisible(), `${heading} is visible`);
      return (await td.innerText()).trim();
    };
    const s = report.summary;
    assert.equal(await cell('applications deployed'), String(s.applicationsDeployed));
    assert.equal(await cell('deployments'), String(s.deployments));
    assert.equal(await cell('incidents'), `${s.incidents} (${s.incidentsPerDeployment} per deployment)`);
    assert.equal(await cell('systematic issues'), String(s.systematicIssues));
    assert.match(
      await cell('refinements'),
      new RegExp(`^${s.refinements}; average completeness gain ${report.refinementImpact.averageCompletenessGain}, `),
    );
    assert.ok(await page.getByRole('heading', { level: 1, name: `Learning cycle ${report.cycleId}` }).isVisible());
    assert.match(await page.locator('body > p').first().innerText(), /^completed · 3 days · 72 checks$/);
  });

  test('the screenshot shows the charts painted in colour, each of them', async () => {
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    const full = await readFile(join(dir, 'report.png'));
    const { width, height } = PNG.sync.read(full);
    assert.ok(width >= 1000 && height > 900, `screenshot ${width}×${height}`);
    // Text is grey/black; only drawn marks are coloured, so a page whose charts failed to paint has none.
    const coloured = colouredPixels(full);
    assert.ok(coloured > 50_000, `${coloured} coloured pixels on the page`);
    for (const chart of await page.locator('figure > svg').all()) {
      const n = colouredPixels(await chart.screenshot({ timeout: 5_000 }));
      assert.ok(n > 5_000, `${n} coloured pixels in a chart`);
    }
  });
});
