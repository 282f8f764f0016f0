import type { ContextDocument, FeatureKind } from '../models/context-document.js';
import type { ExecutionFeedback, Problem } from './feedback.js';
import { defined } from '../platform/defined.js';

/**
 * Spec 002's `integrate_with_pipeline`: every stage of a CI/CD run that failed yields an improvement record, and
 * each improvement is applied to the context that wrote the code. The stages and their triggers are the spec's:
 *
 *   build_failure    the build did not succeed (whatever the number of errors)
 *   test_failure     one or more tests failed
 *   quality_gate     the quality gates did not pass
 *   static_analysis  static analysis reported any issue (security or not)
 *
 * Deployment status and production metrics are recorded with the event (the spec's feedback collects them) but no
 * stage learns from them: the spec defines no improvement for them.
 */
export const improvementTypes = ['build_failure', 'test_failure', 'quality_gate', 'static_analysis'] as const;
export type ImprovementType = (typeof improvementTypes)[number];

export interface Improvement {
  type: ImprovementType;
  /** What was wrong, classified: the spec's names where it names them (`missing_dependencies`, `edge_cases`, …). */
  issues: string[];
  /** What the context gains, by key as in the spec's `context_additions`: one instruction each. */
  contextAdditions: Record<string, string>;
  /** The reports behind it, in the tools' words (build errors, failed tests, violations, findings). */
  evidence: string[];
}

/** Build errors the spec classifies, by the words it looks for in the message (`'dependency' in message.lower()`). */
const buildNotes = {
  missing_dependencies: ['dependencies', 'Always specify all required dependencies.'],
  version_mismatch: ['version_constraints', 'Specify compatible version ranges for dependencies, e.g. package>=1.0.0,<2.0.0.'],
  build_errors: ['build_errors', "The build failed: make sure the code compiles with the project's build before answering."],
} as const;

function buildIssue(text: string): keyof typeof buildNotes {
  const m = text.toLowerCase();
  if (m.includes('dependency')) return 'missing_dependencies';
  if (m.includes('version')) return 'version_mismatch';
  return 'build_errors';
}

/**
 * The spec's two categories of failed tests (its `categorize_test_failures` is left undefined), read from the test's
 * name and message: a test about an error path is `error_handling`, one about an edge of the input `edge_cases`;
 * any other failure is `failed_tests`.
 */
const errorHandlingWords = /\b(errors?|exceptions?|throws?|raises?|rejects?|invalid|fails? (?:with|when|on))\b/i;
const edgeCaseWords =
  /\b(edge|empty|blank|boundary|bounds|null|none|nil|undefined|zero|negative|overflow|underflow|limit|max(?:imum)?|min(?:imum)?|missing)\b/i;
const testNotes = {
  error_handling: 'Specify error handling: what each failure raises or returns, as these tests expect.',
  edge_cases: 'Handle edge cases explicitly (empty, missing, zero, null and limit inputs), as these tests expect.',
  failed_tests: 'Make the code satisfy these tests.',
} as const;

function testIssue(p: Problem): keyof typeof testNotes {
  const name = p.test ?? defined(p.text.split(': ')[0], 'problem name');
  if (errorHandlingWords.test(name)) return 'error_handling';
  if (edgeCaseWords.test(p.text)) return 'edge_cases';
  return 'failed_tests';
}

/** Quality-gate rules the spec answers with a context addition; any other violated rule is named as it is. */
function gateAddition(p: Problem): [key: string, note: string] {
  const rule = (p.rule ?? '').toLowerCase();
  if (rule === 'complexity' || rule === 'cyclomatic_complexity') {
    return [
      'complexity',
      `Prefer simpler implementations: break complex functions into smaller units${p.threshold !== undefined ? ` (complexity at most ${p.threshold})` : ''}.`,
    ];
  }
  if (rule === 'code_duplication' || rule === 'duplication') {
    return ['DRY_principle', 'Reuse code: extract common patterns into functions instead of repeating them.'];
  }
  return ['quality_gates', 'Meet the quality gates the pipeline checks.'];
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/** The improvement records of one CI event, in the spec's order of stages. */
export function pipelineImprovements(fb: ExecutionFeedback): Improvement[] {
  const of = (kind: Problem['kind']) => fb.problems.filter((p) => p.kind === kind);
  const out: Improvement[] = [];

  if (fb.compilation && !fb.compilation.success) {
    const errors = of('compilation');
    const issues = errors.length > 0 ? unique(errors.map((e) => buildIssue(e.text))) : ['build_errors' as const];
    out.push({
      type: 'build_failure',
      issues,
      contextAdditions: Object.fromEntries(issues.map((i) => buildNotes[i])),
      evidence: errors.map((e) => e.text),
    });
  }

  if (fb.tests && fb.tests.passed < fb.tests.run) {
    const failed = of('tests');
    const issues = failed.length > 0 ? unique(failed.map(testIssue)) : ['failed_tests' as const];
    out.push({
      type: 'test_failure',
      issues,
      contextAdditions: Object.fromEntries(issues.map((i) => [i, testNotes[i]])),
      evidence: failed.map((p) => p.text),
    });
  }

  if (fb.qualityGatesPassed === false) {
    const violations = of('quality');
    const additions = violations.length > 0 ? violations.map(gateAddition) : [gateAddition({ kind: 'quality', text: '' })];
    out.push({
      type: 'quality_gate',
      issues: violations.length > 0 ? unique(violations.map((v) => v.rule ?? 'quality_gate')) : ['quality_gate'],
      contextAdditions: Object.fromEntries(additions),
      evidence: violations.map((v) => v.text),
    });
  }

  const findings = [...of('security'), ...of('static-analysis')];
  if (findings.length > 0) {
    const additions: Record<string, string> = {};
    if (findings.some((f) => f.kind === 'security'))
      additions.security = 'Avoid the security problems static analysis found in the last change.';
    if (findings.some((f) => f.kind === 'static-analysis'))
      additions.static_analysis = "Write code that passes the project's static analysis; it reported these rules.";
    out.push({
      type: 'static_analysis',
      issues: unique(findings.map((f) => f.rule ?? defined(f.text.split(':')[0], 'finding rule'))),
      contextAdditions: additions,
      evidence: findings.map((f) => f.text),
    });
  }
  return out;
}

/** The failure each improvement's constraint is weighed against by the context gradient. */
function featureKind(i: Improvement, fb: ExecutionFeedback): FeatureKind {
  if (i.type === 'build_failure') return 'compilation';
  if (i.type === 'test_failure') return 'tests';
  if (i.type === 'static_analysis' && (fb.security?.count ?? 0) > 0) return 'security';
  return 'general';
}

/** The update step's constraint for the same failure, if it added one for this event (see context-update.ts). */
const sameFailure: Partial<Record<ImprovementType, string>> = {
  build_failure: 'compilation',
  test_failure: 'tests',
  static_analysis: 'security',
};

/** Longest constraint text the context document accepts. */
const maxText = 5_000;
/** A context keeps this many constraints of each improvement type; older ones give way to newer. */
export const maxConstraintsPerType = 10;
/** Most constraints a context document holds (context-document.ts). */
const maxConstraints = 200;

function constraintText(i: Improvement, lead: string | null): string {
  const lines = [...(lead === null ? [] : [lead]), ...Object.values(i.contextAdditions)];
  const evidence = unique(i.evidence).filter((e) => lead === null || !lead.includes(e));
  let text = lines.join('\n');
  for (const e of evidence) {
    const line = `- ${e.replace(/\s+/g, ' ').slice(0, 500)}`;
    if (text.length + line.length + 1 > maxText) break;
    text += `\n${line}`;
  }
  return text.slice(0, maxText);
}

/** An event id as part of a feature id (letters, digits, . _ : - only; a delivery id may hold any printable character). */
export const featureIdPart = (eventId: string) => eventId.replace(/[^A-Za-z0-9._:-]/g, '_');

export interface AppliedImprovements {
  document: ContextDocument;
  /** The constraint each improvement is written into, in the order of the improvements (null: the context is full). */
  constraintIds: (string | null)[];
}

/**
 * Applies the improvements to the context after the event's learning step: each becomes a constraint
 * `<type>:<eventId>`, unless the learning step already added a constraint for the same failure, which then takes
 * the improvement's additions too (one constraint per failure). Of each type only the newest
 * `maxConstraintsPerType` stay.
 */
export function applyImprovements(
  doc: ContextDocument,
  improvements: readonly Improvement[],
  fb: ExecutionFeedback,
  eventId: string,
): AppliedImprovements {
  let constraints = [...doc.constraints];
  const constraintIds: (string | null)[] = [];
  for (const i of improvements) {
    const stepKind = sameFailure[i.type];
    const merged = stepKind === undefined ? -1 : constraints.findIndex((c) => c.id === `${stepKind}:${eventId}`.slice(0, 128));
    if (merged >= 0) {
      const c = defined(constraints[merged], 'merged constraint');
      constraints[merged] = { ...c, text: constraintText(i, c.text) };
      constraintIds.push(c.id);
      continue;
    }
    const id = `${i.type}:${featureIdPart(eventId)}`.slice(0, 128);
    const existing = constraints.find((c) => c.id === id);
    if (!existing) {
      const ofType = constraints.filter((c) => c.id.startsWith(`${i.type}:`));
      const drop = new Set(ofType.slice(0, Math.max(0, ofType.length - maxConstraintsPerType + 1)).map((c) => c.id));
      constraints = constraints.filter((c) => !drop.has(c.id));
      if (constraints.length >= maxConstraints) {
        constraintIds.push(null);
        continue;
      }
      constraints.push({ id, kind: featureKind(i, fb), text: constraintText(i, null), addedBy: eventId });
    }
    constraintIds.push(id);
  }
  return { document: { ...doc, constraints }, constraintIds };
}
