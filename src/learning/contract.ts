import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** Compiled validators by schema text: the same response schema is checked on every output of a window. */
const compiled = new Map<string, ValidateFunction>();

/** Compiles (and caches) a JSON Schema; throws when it is not one. */
export function compileResponseSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

export interface ContractViolation {
  /** JSON pointer into the output, "" for the whole output. */
  path: string;
  keyword: string;
  message: string;
}

/** Every way `output` breaks `schema`; empty when it satisfies it. */
export function contractViolations(schema: Record<string, unknown>, output: unknown): ContractViolation[] {
  const validate = compileResponseSchema(schema);
  if (validate(output)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => ({
    path: e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.instancePath,
    keyword: e.keyword,
    message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
  }));
}
