/**
 * The reference task: a requirement (text) needs a set of features; the model picks an implementation template,
 * and the template's features are what the generated code would provide. Correctness is checked by code.
 */
export const templates = {
  rest_crud: ['create', 'read', 'update', 'delete', 'list'],
  auth_login: ['credentials', 'session', 'password_hash'],
  pagination: ['list', 'page_size', 'cursor'],
  rate_limiting: ['quota', 'window', 'throttle_response'],
  file_upload: ['multipart', 'storage', 'size_limit'],
  search_filter: ['list', 'query', 'filters'],
  webhook_delivery: ['event', 'retry', 'signature'],
  caching: ['read', 'ttl', 'invalidation'],
} as const satisfies Record<string, readonly string[]>;

export type TemplateName = keyof typeof templates;
export const templateNames = Object.keys(templates) as TemplateName[];

export interface Requirement {
  text: string;
  /** The template that provides every needed feature. */
  template: TemplateName;
  needs: readonly string[];
}

export interface CheckResult {
  /** Share of the requirement's checks (one per needed feature) the chosen template passes. */
  testPassRate: number;
  /**
   * Variance of the pass rate as an estimate from the requirement's checks, p(1−p)/n: 0 when every check agrees,
   * largest when half pass. The specs' quality filter keeps outputs under 0.04.
   */
  implementationVariance: number;
}

export function checkOutput(requirement: Pick<Requirement, 'needs'>, outputTemplate: string): CheckResult {
  const provided = new Set<string>(templates[outputTemplate as TemplateName] ?? []);
  const n = requirement.needs.length;
  const passed = requirement.needs.filter((f) => provided.has(f)).length;
  const p = passed / n;
  return { testPassRate: p, implementationVariance: (p * (1 - p)) / n };
}
