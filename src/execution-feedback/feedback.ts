import { z } from 'zod';
import { fixReportSchema, type FixReport } from './debug-patterns.js';
import type { TestReport } from './junit.js';
import type { Finding } from './sarif.js';

const message = z.string().min(1).max(10_000);

/** A stack trace from the failed run, and the fix when this change is the one that fixed it: a debugging session. */
export const debuggingSchema = z.strictObject({
  trace: z.string().min(1).max(100_000),
  fix: fixReportSchema.optional(),
});

/** The JSON envelope a CI job posts for build status and quality gates (performance/quality figures optional). */
export const ciEnvelopeSchema = z.strictObject({
  contextId: z.string().min(1).max(200),
  task: z.string().min(1).max(10_000),
  build: z.strictObject({ success: z.boolean(), errors: z.array(message).max(10_000) }),
  qualityGates: z.strictObject({
    passed: z.boolean(),
    violations: z
      .array(
        z.union([
          message,
          z.strictObject({
            rule: z.string().min(1).max(200),
            message: message.optional(),
            value: z.number().optional(),
            threshold: z.number().optional(),
          }),
        ]),
      )
      .max(10_000),
  }),
  /** Baseline time over this build's time; above 1 is faster. */
  performance: z.strictObject({ speedup: z.number().positive() }).optional(),
  /** Cyclomatic complexity and duplicated lines (percent), as a quality tool reports them. */
  quality: z.strictObject({ complexity: z.number().min(0), duplication: z.number().min(0) }).optional(),
  /** The context's examples/constraints the job drew on; absent: all of them. */
  featuresUsed: z.array(z.string().min(1).max(128)).max(400).optional(),
  /** The deployment stage, when the pipeline deployed. */
  deployment: z
    .strictObject({
      success: z.boolean(),
      environment: z.string().min(1).max(200).optional(),
      rolledBack: z.boolean().optional(),
      errors: z.array(message).max(1_000).optional(),
    })
    .optional(),
  /** Production metrics measured after the deployment, by name (error rate, latency, …), when the pipeline has them. */
  productionMetrics: z
    .record(z.string().min(1).max(128), z.number())
    .refine((m) => Object.keys(m).length <= 100, 'at most 100 metrics')
    .optional(),
  debugging: debuggingSchema.optional(),
});
export type CiEnvelope = z.infer<typeof ciEnvelopeSchema>;

/** One CI event, whatever format it came in, as the dimensions the context gradient reads. */
export interface ExecutionFeedback {
  compilation?: { success: boolean; errors: number };
  /** Tests that ran (skipped ones excluded) and how many passed. */
  tests?: { run: number; passed: number };
  performance?: { speedup: number };
  security?: { count: number; severity: number };
  quality?: { complexity: number; duplication: number };
  qualityGatesPassed?: boolean;
  /** Feature ids the job drew on; absent: the whole context. */
  featuresUsed?: string[];
  /** What went wrong, in the tools' words: the text a new constraint is built from. */
  problems: Problem[];
  /** Recorded with the event (the specs' deployment_status and production_metrics); no stage learns from them. */
  deployment?: { success: boolean; environment?: string; rolledBack?: boolean; errors?: string[] };
  productionMetrics?: Record<string, number>;
  /** A stack trace that came with the run: ciFeedback's debugging step learns from it. */
  debugging?: { trace: string; fix?: FixReport };
}

/**
 * One thing a stage reported: a build error (`compilation`), a failed test (`tests`, with its name), a quality-gate violation
 * (`quality`, with its rule and threshold when the gate names them), a static-analysis finding (`security` when its
 * rule is a security rule, else `static-analysis`, with the rule id).
 */
export interface Problem {
  kind: 'compilation' | 'tests' | 'security' | 'quality' | 'static-analysis';
  text: string;
  rule?: string;
  threshold?: number;
  /** The failed test's name (suite › name). */
  test?: string;
}

export function feedbackFromTests(report: TestReport): ExecutionFeedback {
  return {
    tests: { run: report.tests - report.skipped, passed: report.passed },
    problems: report.failures.map((f) => {
      const test = `${f.classname ?? f.suite} › ${f.name}`;
      return { kind: 'tests', text: `${test}: ${String(f.message.split('\n')[0])}`, test };
    }),
  };
}

/** Security findings feed the security dimension; every finding is a static-analysis problem the pipeline learns from. */
export function feedbackFromFindings(findings: readonly Finding[]): ExecutionFeedback {
  const security = findings.filter((f) => f.security);
  return {
    security: { count: security.length, severity: Math.max(0, ...security.map((f) => f.severity)) },
    problems: findings.map((f) => ({
      kind: f.security ? 'security' : 'static-analysis',
      text: `${f.ruleId}: ${f.message}${f.location ? ` (${f.location})` : ''}`,
      rule: f.ruleId,
    })),
  };
}

export function feedbackFromEnvelope(env: CiEnvelope): ExecutionFeedback {
  return {
    compilation: { success: env.build.success, errors: env.build.success ? 0 : Math.max(1, env.build.errors.length) },
    ...(env.performance && { performance: env.performance }),
    ...(env.quality && { quality: env.quality }),
    qualityGatesPassed: env.qualityGates.passed,
    ...(env.featuresUsed && { featuresUsed: env.featuresUsed }),
    ...(env.deployment && { deployment: env.deployment }),
    ...(env.productionMetrics && { productionMetrics: env.productionMetrics }),
    ...(env.debugging && { debugging: env.debugging }),
    problems: [
      ...(env.build.success ? [] : env.build.errors.map((text): Problem => ({ kind: 'compilation', text }))),
      ...env.qualityGates.violations.map(
        (v): Problem =>
          typeof v === 'string'
            ? { kind: 'quality', text: v }
            : {
                kind: 'quality',
                text: `${v.rule}${v.value !== undefined ? ` = ${v.value}` : ''}${v.threshold !== undefined ? ` (threshold ${v.threshold})` : ''}${v.message ? `: ${v.message}` : ''}`,
                rule: v.rule,
                ...(v.threshold !== undefined && { threshold: v.threshold }),
              },
      ),
    ],
  };
}
