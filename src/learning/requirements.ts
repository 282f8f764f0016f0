import { z } from 'zod';
import { compileResponseSchema } from './contract.js';

const id = z.string().trim().min(1).max(200);

/** A JSON Schema, kept as data; it must compile (checked on the endpoint, where ajv sees it whole). */
const jsonSchema = z.record(z.string(), z.unknown());

const endpointSchema = z
  .strictObject({
    id,
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z.string().regex(/^\/[\w\-/{}.:]*$/, 'must be a path such as "/v1/tickets"'),
    description: z.string().default(''),
    request_schema: jsonSchema.optional(),
    /** What every successful answer must satisfy: outputs that do not are API contract violations. */
    response_schema: jsonSchema,
  })
  .superRefine((endpoint, ctx) => {
    for (const key of ['request_schema', 'response_schema'] as const) {
      const schema = endpoint[key];
      if (schema === undefined) continue;
      try {
        compileResponseSchema(schema);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not a valid JSON Schema: ${(err as Error).message}` });
      }
    }
  });

const scenarioSchema = z.strictObject({
  id,
  description: z.string().min(1),
  given: z.string().optional(),
  then: z.string().min(1),
  /** Ids of edge_case_specifications this scenario covers. */
  edge_cases: z.array(id).default([]),
});

/**
 * `condition` names an input trait (see input-traits.ts), e.g. "text:non_ascii": a property an input can have that
 * the specification must say what to do about. `fallback` gives the output fields to answer when it holds.
 */
const edgeCaseSpecSchema = z.strictObject({
  id,
  area: z.string().min(1),
  condition: z.string().min(1),
  expected_behavior: z.string().min(1),
  fallback: z.record(z.string(), z.unknown()).optional(),
});

const errorRuleSchema = z.strictObject({
  condition: z.string().min(1),
  status: z.number().int().min(400).max(599),
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE error code'),
  message: z.string().min(1),
});

const exampleSchema = z.strictObject({
  endpoint: id,
  description: z.string().default(''),
  input: z.unknown(),
  output: z.unknown(),
});

const constraintSchema = z.strictObject({
  /** The input field it limits, e.g. "text". */
  field: z.string().min(1),
  kind: z.enum(['max_length', 'max_latency_ms']),
  value: z.number().int().positive(),
  description: z.string().default(''),
});

export const requirementsDocumentSchema = z.strictObject({
  schema_version: z.literal(1),
  application: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lower-case id'),
  version: z.number().int().min(1),
  title: z.string().default(''),
  api_specification: z.strictObject({ endpoints: z.array(endpointSchema) }).prefault({ endpoints: [] }),
  behavioral_specifications: z.strictObject({ scenarios: z.array(scenarioSchema) }).prefault({ scenarios: [] }),
  edge_case_specifications: z.array(edgeCaseSpecSchema).default([]),
  error_handling: z.array(errorRuleSchema).default([]),
  examples: z.array(exampleSchema).default([]),
  constraints: z.array(constraintSchema).default([]),
});

export type RequirementsDocument = z.output<typeof requirementsDocumentSchema>;
export type RequirementsInput = z.input<typeof requirementsDocumentSchema>;
export type Endpoint = RequirementsDocument['api_specification']['endpoints'][number];
export type Scenario = RequirementsDocument['behavioral_specifications']['scenarios'][number];
export type EdgeCaseSpec = RequirementsDocument['edge_case_specifications'][number];
export type ErrorRule = RequirementsDocument['error_handling'][number];
export type Constraint = RequirementsDocument['constraints'][number];
export type Example = RequirementsDocument['examples'][number];

/** Parses a stored or submitted document; throws a ZodError naming each bad field. */
export function parseRequirements(document: unknown): RequirementsDocument {
  return requirementsDocumentSchema.parse(document);
}

export function findEndpoint(doc: RequirementsDocument, endpointId: string): Endpoint | undefined {
  return doc.api_specification.endpoints.find((e) => e.id === endpointId);
}
