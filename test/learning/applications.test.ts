import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simulatedApplications, ticketTriage } from '../../src/learning/applications/catalog.js';
import { serve } from '../../src/learning/applications/serve.js';
import { simulateWindow } from '../../src/learning/applications/traffic.js';
import { analyzeCycle, checkWindow } from '../../src/learning/cycle-analysis.js';
import type { Incident } from '../../src/learning/monitor.js';
import type { RequestOutcome } from '../../src/learning/outcomes.js';
import type { RequirementsDocument } from '../../src/learning/requirements.js';
import { clarityScore, completenessScore } from '../../src/learning/scores.js';

function cycle(name: string, documents: Map<string, RequirementsDocument>, checks = 6) {
  const incidents: Incident[] = [];
  const outcomes: RequestOutcome[] = [];
  const open = new Map<string, string[]>();
  for (let check = 0; check < checks; check++) {
    for (const app of simulatedApplications) {
      const document = documents.get(app.id)!;
      const window = simulateWindow(app, document, { window: `${name}/${check}`, requests: 200, seed: 1 });
      const result = checkWindow(
        { application: app.id, variants: app.variants, document, outcomes: window },
        open.get(app.id) ?? [],
        `${name}/${check}`,
      );
      open.set(app.id, result.open);
      incidents.push(...result.opened);
      outcomes.push(...window);
    }
  }
  const applications = simulatedApplications.map((a) => ({ application: a.id, variants: a.variants, document: documents.get(a.id)! }));
  return { incidents, analysis: analyzeCycle({ applications, incidents, outcomes }) };
}

describe('simulated applications behave as their requirements say', () => {
  test('an empty ticket crashes the application until the requirements say how to answer it', () => {
    const before = serve(ticketTriage, ticketTriage.initialRequirements, 'v1', 'r1', { text: '' });
    assert.equal(before.status, 'error');
    const refined = structuredClone(ticketTriage.initialRequirements);
    refined.error_handling.push({ condition: 'text:empty', status: 422, code: 'TEXT_EMPTY', message: 'empty' });
    assert.deepEqual(serve(ticketTriage, refined, 'v1', 'r1', { text: '' }).output, { error: 'TEXT_EMPTY' });
  });

  test('the two variants write dates differently until the schema pins the format', () => {
    const input = { text: 'I cannot log in since the password reset' };
    const date = (doc: RequirementsDocument, v: string) =>
      (serve(ticketTriage, doc, v, 'r', input).output as { due_date: string }).due_date;
    assert.notEqual(date(ticketTriage.initialRequirements, 'v1'), date(ticketTriage.initialRequirements, 'v2'));
    const pinned = structuredClone(ticketTriage.initialRequirements);
    (pinned.api_specification.endpoints[0]!.response_schema.properties as Record<string, object>).due_date = {
      type: 'string',
      format: 'date',
    };
    assert.equal(date(pinned, 'v1'), date(pinned, 'v2'));
  });

  test('the same window name regenerates the same requests and answers (a retried activity writes them once)', () => {
    const a = simulateWindow(ticketTriage, ticketTriage.initialRequirements, { window: 'w', requests: 20, seed: 3 });
    assert.deepEqual(simulateWindow(ticketTriage, ticketTriage.initialRequirements, { window: 'w', requests: 20, seed: 3 }), a);
  });
});

describe('one learning cycle over the simulated applications', () => {
  const initial = new Map(simulatedApplications.map((a) => [a.id, a.initialRequirements]));
  const first = cycle('one', initial);

  test('a monitor that keeps tripping opens one incident, not one per check', () => {
    const keys = first.incidents.map((i) => `${i.application}/${i.variant}/${i.type}`);
    const openedOnFirstCheck = first.incidents.filter((i) => i.key.startsWith('one/0/')).length;
    assert.ok(openedOnFirstCheck > 0);
    assert.ok(keys.length < openedOnFirstCheck * 6, `${keys.length} incidents over 6 checks`);
  });

  test('opens incidents of every kind and finds a systematic issue', () => {
    assert.deepEqual([...new Set(first.incidents.map((i) => i.type))].sort(), [
      'behavioral_deviation',
      'contract_violation',
      'error_rate',
      'latency',
    ]);
    assert.ok(first.analysis.systematicIssues.length >= 1);
    const types = new Set(first.analysis.deficiencies.map((d) => d.type));
    for (const t of [
      'missing_error_handling_requirements',
      'performance',
      'incomplete_response_specification',
      'missing_edge_case_specification',
      'ambiguous_behavioral_specification',
    ]) {
      assert.ok(types.has(t as never), `found ${t}`);
    }
  });

  test('refines every application to a compatible version with higher completeness and clarity, and ≥ 10 training samples', () => {
    assert.equal(first.analysis.refinements.length, simulatedApplications.length);
    for (const r of first.analysis.refinements) {
      assert.equal(r.toVersion, 2);
      assert.ok(r.completenessAfter > r.completenessBefore, `${r.application} completeness`);
      assert.ok(r.clarityAfter > r.clarityBefore, `${r.application} clarity`);
      assert.equal(r.compatibility.compatible, true, r.compatibility.breaking.join('; '));
    }
    assert.ok(first.analysis.samples.length >= 10);
  });

  test('redeployed against the refined requirements, a second cycle has fewer incidents per deployment', () => {
    const refined = new Map(initial);
    for (const r of first.analysis.refinements) refined.set(r.application, r.document);
    const second = cycle('two', refined);
    assert.ok(second.incidents.length < first.incidents.length, `${second.incidents.length} < ${first.incidents.length}`);
    const mean = (m: Map<string, RequirementsDocument>, f: (d: RequirementsDocument) => number) =>
      [...m.values()].reduce((s, d) => s + f(d), 0) / m.size;
    assert.ok(mean(refined, completenessScore) > mean(initial, completenessScore));
    assert.ok(mean(refined, clarityScore) > mean(initial, clarityScore));
  });
});
