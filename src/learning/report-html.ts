import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CycleReport } from './report.js';
import { PROBLEMATIC_RELIABILITY } from './performance.js';

/** A vega-lite chart rendered to SVG on the server: the page needs no script and no network to show it. */
async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parseVega(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The cycle report as one self-contained HTML page: incidents per day by type, reliability, completeness/clarity. */
export async function renderReportHtml(report: CycleReport): Promise<string> {
  const incidents = await svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Incidents per day, by type',
    width: 560,
    height: 220,
    data: { values: report.incidentBreakdown.perDay },
    mark: 'bar',
    encoding: {
      x: { field: 'day', type: 'ordinal', title: 'day' },
      y: { field: 'count', type: 'quantitative', title: 'incidents' },
      color: { field: 'type', type: 'nominal', title: 'type', legend: { labelLimit: 400 } },
    },
  });
  const scores = report.refinementImpact.requirements.flatMap((r) => [
    { application: r.application, score: 'completeness', when: 'before', value: r.completenessBefore },
    { application: r.application, score: 'completeness', when: 'after', value: r.completenessAfter },
    { application: r.application, score: 'clarity', when: 'before', value: r.clarityBefore },
    { application: r.application, score: 'clarity', when: 'after', value: r.clarityAfter },
  ]);
  const refinement = await svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Requirements completeness and clarity, before and after refinement',
    data: { values: scores },
    mark: 'bar',
    width: 120,
    height: 180,
    encoding: {
      column: { field: 'application', type: 'nominal', title: null },
      x: { field: 'score', type: 'nominal', title: null },
      xOffset: { field: 'when', type: 'nominal', sort: ['before', 'after'] },
      y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: 'score' },
      color: { field: 'when', type: 'nominal', sort: ['before', 'after'] },
    },
  });
  const reliability = await svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Reliability score per requirements version (problematic under ${PROBLEMATIC_RELIABILITY})`,
    width: 560,
    height: 180,
    data: { values: report.reliability.map((r) => ({ requirement: `${r.application} v${r.version}`, score: r.score })) },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { field: 'requirement', type: 'nominal', title: null },
          y: { field: 'score', type: 'quantitative', scale: { domain: [0, 1] } },
        },
      },
      // Its own one-row data: on the bars' data, vega-lite would draw the same line once per requirement.
      { data: { values: [{}] }, mark: { type: 'rule', color: 'firebrick' }, encoding: { y: { datum: PROBLEMATIC_RELIABILITY } } },
    ],
  });
  const s = report.summary;
  const list = (items: string[]) => (items.length ? `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>` : '<p>none</p>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>learnloop cycle ${escape(report.cycleId)}</title>
<style>body{font:14px system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body>
<h1>Learning cycle ${escape(report.cycleId)}</h1>
<p>${escape(report.status)}${report.abortReason ? `: ${escape(report.abortReason)}` : ''} · ${report.durationDays} days · ${report.checksRun} checks</p>
<table>
<tr><th>applications deployed</th><td>${s.applicationsDeployed}</td></tr>
<tr><th>deployments</th><td>${s.deployments}</td></tr>
<tr><th>incidents</th><td>${s.incidents} (${s.incidentsPerDeployment} per deployment)</td></tr>
<tr><th>systematic issues</th><td>${s.systematicIssues}</td></tr>
<tr><th>refinements</th><td>${s.refinements}; average completeness gain ${report.refinementImpact.averageCompletenessGain}, clarity gain ${report.refinementImpact.averageClarityGain}</td></tr>
</table>
<figure>${incidents}</figure>
<figure>${reliability}</figure>
<figure>${refinement}</figure>
<h2>Systematic issues</h2>${list(report.systematicIssues.map((i) => i.description))}
<h2>Recommendations</h2>${list(report.recommendations)}
</body></html>
`;
}
