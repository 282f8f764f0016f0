import { z } from 'zod';
import type { TestReport } from './junit.js';
import type { Finding } from './sarif.js';

const message = z.string().min(1).max(10_000);

/** The JSON envelope a CI job posts for build status and quality gates (performance/quality figures optional). */
export const ciEnvelopeSchema = z.strictObject({
  contextId: z.string().min(1).max(200),
  task: z.string().min(1).max(10_000),
  build: z.strictObject({ success: z.boolean(), errors: z.array(message).max(10_000) }),
  qualityGates: z.strictObject({
    passed: z.boolean(),
    violations: z.array(z.union([message, z.strictObject({ rule: z.string().min(1).max(200), message: message.optional(), value: z.number().optional() })])).max(10_000),
  }),
  /** Baseline time over this build's time; above 1 is faster. */
  performance: z.strictObject({ speedup: z.number().positive() }).optional(),
  /** Cyclomatic complexity and duplicated lines (percent), as a quality tool reports them. */
  quality: z.strictObject({ complexity: z.number().min(0), duplication: z.number().min(0) }).optional(),
  /** The context's examples/constraints the job drew on; absent: all of them. */
  featuresUsed: z.array(z.string().min(1).max(128)).max(400).optional(),
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
  problems: { kind: 'compilation' | 'tests' | 'security' | 'quality'; text: string }[];
}

export function feedbackFromTests(report: TestReport): ExecutionFeedback {
  return {
    tests: { run: report.tests - report.skipped, passed: report.passed },
    problems: report.failures.map((f) => ({ kind: 'tests', text: `${f.classname ?? f.suite} › ${f.name}: ${f.message.split('\n')[0]}` })),
  };
}

/** Security findings feed the security dimension; the rest are quality problems. */
export function feedbackFromFindings(findings: readonly Finding[]): ExecutionFeedback {
  const security = findings.filter((f) => f.security);
  return {
    security: { count: security.length, severity: Math.max(0, ...security.map((f) => f.severity)) },
    problems: findings.map((f) => ({ kind: f.security ? 'security' : 'quality', text: `${f.ruleId}: ${f.message}${f.location ? ` (${f.location})` : ''}` })),
  };
}

export function feedbackFromEnvelope(env: CiEnvelope): ExecutionFeedback {
  return {
    compilation: { success: env.build.success, errors: env.build.success ? 0 : Math.max(1, env.build.errors.length) },
    ...(env.performance && { performance: env.performance }),
    ...(env.quality && { quality: env.quality }),
    qualityGatesPassed: env.qualityGates.passed,
    ...(env.featuresUsed && { featuresUsed: env.featuresUsed }),
    problems: [
      ...(env.build.success ? [] : env.build.errors.map((text) => ({ kind: 'compilation' as const, text }))),
      ...env.qualityGates.violations.map((v) => ({
        kind: 'quality' as const,
        text: typeof v === 'string' ? v : `${v.rule}${v.value !== undefined ? ` = ${v.value}` : ''}${v.message ? `: ${v.message}` : ''}`,
      })),
    ],
  };
}
