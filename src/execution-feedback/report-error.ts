import type { z } from 'zod';
import { defined } from '../platform/defined.js';

/** A CI report that cannot be used; the message names the format and what is wrong, for a 400 answer. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** "JUnit XML: testsuites.testsuite.0.testcase.1.@_name: expected string": the first problem, with its path. */
export function reportIssue(format: string, error: z.ZodError, at: readonly PropertyKey[] = []): ReportError {
  const issue = defined(error.issues[0], 'zod issue');
  const path = [...at, ...issue.path, ...(issue.code === 'unrecognized_keys' ? [defined(issue.keys[0], 'unrecognized key')] : [])];
  return new ReportError(`${format}: ${path.length > 0 ? path.map(String).join('.') : 'document'}: ${issue.message}`);
}
