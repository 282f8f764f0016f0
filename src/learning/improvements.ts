/** A change to a requirements document that the refinement engine knows how to apply. */
export type Improvement =
  | { kind: 'add_endpoint'; endpoint: string }
  | { kind: 'add_error_handling'; endpoint: string; condition: string; status: number; code: string; exampleInput?: unknown }
  | { kind: 'add_edge_case'; endpoint: string; condition: string; field: string; fallback: Record<string, unknown> }
  | { kind: 'add_response_property'; endpoint: string; field: string; schema: Record<string, unknown> }
  | { kind: 'add_constraint'; endpoint: string; field: string; maxLength: number }
  | {
      kind: 'clarify_field';
      endpoint: string;
      field: string;
      schema: Record<string, unknown>;
      example?: { input: unknown; output: unknown };
    };

/** Two improvements with one key change the same thing; the first one wins. */
export function improvementKey(i: Improvement): string {
  switch (i.kind) {
    case 'add_endpoint':
      return `add_endpoint:${i.endpoint}`;
    case 'add_error_handling':
    case 'add_edge_case':
      return `${i.kind}:${i.endpoint}:${i.condition}`;
    case 'add_response_property':
    case 'clarify_field':
    case 'add_constraint':
      return `${i.kind}:${i.endpoint}:${i.field}`;
  }
}

export function describeImprovement(i: Improvement): string {
  switch (i.kind) {
    case 'add_endpoint':
      return `specify endpoint ${i.endpoint} and its response schema`;
    case 'add_error_handling':
      return `answer inputs with ${i.condition} with ${i.status} ${i.code} instead of failing`;
    case 'add_edge_case':
      return `specify the answer when the input has ${i.condition}: ${JSON.stringify(i.fallback)}`;
    case 'add_response_property':
      return `declare response field "${i.field}" as ${JSON.stringify(i.schema)}`;
    case 'add_constraint':
      return `limit input field "${i.field}" to ${i.maxLength} characters`;
    case 'clarify_field':
      return `pin down response field "${i.field}": ${JSON.stringify(i.schema)}`;
  }
}
