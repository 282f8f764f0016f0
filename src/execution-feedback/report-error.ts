import type { z } from 'zod';

/** A CI report that cannot be used; the message names the format and what is wrong, for a 400 answer. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** "JUnit XML: testsuites.testsuite.0.testcase.1.@_name: expected string": the first problem, with its path. */
export function reportIssue(format: string, error: z.ZodError, at: readonly PropertyKey[] = []): ReportError {
  const issue = error.issues[0]!;
  const path = [...at, ...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
  return new ReportError(`${format}: ${path.length > 0 ? path.map(String).join('.') : 'document'}: ${issue.message}`);
}
