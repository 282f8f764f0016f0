/**
 * The reference task: a requirement (text) needs a set of features; the model picks an implementation template,
 * and the template's features are what the generated implementation would provide. Correctness is checked by code:
 * one check per needed feature, passed when the chosen template provides that feature.
 *
 * Some features are shared between templates (`list`, `read`, `retry`, `event`), so a near miss earns partial
 * credit; every generated requirement needs at least one feature only its own template provides, so exactly one
 * template passes all of its checks.
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
  background_jobs: ['queue', 'retry', 'schedule'],
  audit_log: ['event', 'append_only', 'actor'],
} as const satisfies Record<string, readonly string[]>;

export type TemplateName = keyof typeof templates;
export type Feature = (typeof templates)[TemplateName][number];
export const templateNames = Object.keys(templates) as TemplateName[];

/** Features no other template provides: a requirement that needs one of them has a single right answer. */
export function distinctiveFeatures(template: TemplateName): Feature[] {
  return templates[template].filter((f) => templateNames.every((other) => other === template || !providesFeature(other, f)));
}

function providesFeature(template: string, feature: string): boolean {
  return (templates[template as TemplateName] as readonly string[] | undefined)?.includes(feature) ?? false;
}

/**
 * How requirements are said. `standard` is how the first users write: technical, feature by feature. `drifted` is
 * how requirements arrive later: the same needs told as symptoms and wishes in other words and another sentence
 * shape, so a model trained only on `standard` loses accuracy on it, which is the drift retraining has to catch.
 */
export type Phrasing = 'standard' | 'drifted';

export interface Requirement {
  text: string;
  /** The one template that provides every needed feature. */
  template: TemplateName;
  needs: readonly Feature[];
  /** The phrasing family the text was written in (see generator.ts). */
  phrasing: Phrasing;
}

export interface CheckResult {
  /** Share of the requirement's checks (one per needed feature) the chosen template passes. */
  testPassRate: number;
  /**
   * Sampling variance of that pass rate over the requirement's n checks, p(1−p)/n: 0 when every check agrees (all
   * pass or all fail), largest when half pass, smaller the more checks back the estimate. The specs' training
   * selection keeps outputs under 0.04.
   */
  implementationVariance: number;
}

/** Runs the requirement's checks against an output; an unknown template provides nothing and fails every check. */
export function checkOutput(requirement: { needs: readonly string[] }, outputTemplate: string): CheckResult {
  const n = requirement.needs.length;
  if (n === 0) throw new Error('a requirement needs at least one feature');
  const passed = requirement.needs.filter((f) => providesFeature(outputTemplate, f)).length;
  const p = passed / n;
  return { testPassRate: p, implementationVariance: (p * (1 - p)) / n };
}
