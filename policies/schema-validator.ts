import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { pointerToFieldPath } from "./field-path.ts";
import type { FieldProblem } from "./errors.ts";

// ajv-formats is CommonJS with a default export; Node's ESM interop hands us the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// No coercion, no removal: inputs stay exactly as given. Valid input, the common case, is checked
// by a validator that stops at the first error; only invalid input pays for listing every error.
const options = { strict: true, allowUnionTypes: true } as const;
const ajvFirstError = addFormats(new Ajv({ ...options, allErrors: false }));
const ajvAllErrors = addFormats(new Ajv({ ...options, allErrors: true }));

export interface CompiledSchema<T> {
  /** Returns every problem with `value`, each with a field path under `base`; empty when valid. */
  problems(value: unknown, base: string): FieldProblem[];
  is(value: unknown): value is T;
}

function describeError(e: ErrorObject): string {
  switch (e.keyword) {
    case "type":
      return `must be ${String(e.params.type)}`;
    case "required":
      return "is required";
    case "enum":
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "additionalProperties":
      return "is not a known field";
    default:
      return e.message ?? e.keyword;
  }
}

function errorPath(base: string, e: ErrorObject): string {
  if (e.keyword === "required")
    return pointerToFieldPath(base, `${e.instancePath}/${String(e.params.missingProperty)}`);
  if (e.keyword === "additionalProperties")
    return pointerToFieldPath(base, `${e.instancePath}/${String(e.params.additionalProperty)}`);
  return pointerToFieldPath(base, e.instancePath);
}

export function compileSchema<T>(schema: object): CompiledSchema<T> {
  const quick: ValidateFunction = ajvFirstError.compile(schema);
  let full: ValidateFunction | undefined;
  return {
    problems(value, base) {
      if (quick(value)) return [];
      full ??= ajvAllErrors.compile(schema);
      full(value);
      return (full.errors ?? [])
        .filter((e) => e.keyword !== "if" && e.keyword !== "oneOf" && e.keyword !== "anyOf")
        .map((e) => ({ path: errorPath(base, e), message: describeError(e) }));
    },
    is(value): value is T {
      return quick(value);
    },
  };
}
