import type { z } from 'zod';

/** A validation outcome a workflow can act on without catching: the value, or one line naming the field. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** ["stages", 1, "percent"] → "stages[1].percent", the way an operator writes the field. */
function fieldPath(root: string, path: readonly PropertyKey[]): string {
  if (path.length === 0) return root;
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/** Every problem on one line, separated by "; ": "stages[1].percent: must be greater than stages[0].percent". */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues.map((issue) => `${fieldPath(root, issue.path)}: ${issue.message}`).join('; ');
}
