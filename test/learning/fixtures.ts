import type { Deficiency } from '../../src/learning/incident-analyzer.js';
import type { RequestOutcome } from '../../src/learning/outcomes.js';
import { parseRequirements } from '../../src/learning/requirements.js';

/** A small document with one endpoint whose response schema is strict, for the monitors and the analyzer. */
export const document = parseRequirements({
  schema_version: 1,
  application: 'app',
  version: 1,
  api_specification: {
    endpoints: [
      {
        id: 'classify',
        method: 'POST',
        path: '/v1/classify',
        response_schema: {
          type: 'object',
          required: ['label'],
          additionalProperties: false,
          properties: { label: { type: 'string' }, day: { type: 'string' } },
        },
      },
    ],
  },
});

let n = 0;
export function outcome(over: Partial<RequestOutcome> = {}): RequestOutcome {
  n++;
  return {
    requestId: `r${n}`,
    application: 'app',
    variant: 'v1',
    endpoint: 'classify',
    input: { text: `input ${n}` },
    status: 'ok',
    output: { label: 'a' },
    latencyMs: 50,
    ...over,
  };
}

export function finding(over: Partial<Deficiency>): Deficiency {
  return {
    incidentKey: 'i1',
    application: 'app',
    incidentType: 'error_rate',
    type: 'missing_error_handling_requirements',
    area: 'input.text',
    evidence: [],
    improvement: null,
    improvementKey: null,
    ...over,
  };
}
