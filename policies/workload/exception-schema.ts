import { InputError } from "../errors.ts";
import { isRecord } from "../guards.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import { compileSchema } from "../schema-validator.ts";

export const EXCEPTION_API_VERSION = "mcp-warden.dev/v1alpha1";
export const EXCEPTION_KIND = "MCPWardenException";
/** The annotation a workload requests exceptions with: `<name>[,<name>]`. */
export const EXCEPTION_ANNOTATION = "mcp-warden.dev/exception";

/** An `MCPWardenException` after validation. */
export interface Exception {
  apiVersion: string;
  kind: typeof EXCEPTION_KIND;
  metadata: { name: string; namespace: string };
  spec: { rules: string[]; namespaces: string[]; reason: string; expires?: string };
}

const ruleGlob = {
  type: "string",
  pattern: "^[a-z0-9*][a-z0-9*/-]*$",
  description: "A rule id or a glob over rule ids (`network/*`).",
} as const;

/** OpenAPI v3 / JSON Schema of `spec`; the CRD carries the same schema. */
export const exceptionSpecSchema = {
  type: "object",
  required: ["rules", "namespaces", "reason"],
  additionalProperties: false,
  properties: {
    rules: {
      type: "array",
      minItems: 1,
      items: ruleGlob,
      description: "Rules this exception exempts from (ids or globs).",
    },
    namespaces: {
      type: "array",
      minItems: 1,
      items: { type: "string", minLength: 1 },
      description: "Namespaces of the workloads it covers (names or globs).",
    },
    reason: {
      type: "string",
      minLength: 1,
      description: "Why the exception exists; shown in decisions and logs.",
    },
    expires: {
      type: "string",
      format: "date-time",
      description: "RFC 3339 time after which the exception grants nothing.",
    },
  },
} as const;

const exceptionSchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: EXCEPTION_API_VERSION },
    kind: { const: EXCEPTION_KIND },
    metadata: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string" } },
    },
    spec: exceptionSpecSchema,
  },
} as const;

const validator = compileSchema<Exception>(exceptionSchema);

/**
 * Validates an `MCPWardenException` object. A missing namespace means `default`, as kubectl does.
 * @throws InputError EXCEPTION_INVALID listing every bad field
 */
export function parseException(object: unknown): Exception {
  const problems = validator.problems(object, "");
  const expires = isRecord(object) && isRecord(object.spec) ? object.spec.expires : undefined;
  if (
    typeof expires === "string" &&
    parseRfc3339(expires) === undefined &&
    !problems.some((p) => p.path === "spec.expires")
  ) {
    problems.push({
      path: "spec.expires",
      message: `${JSON.stringify(expires)} is not an RFC 3339 time (2026-01-31T00:00:00Z)`,
    });
  }
  if (problems.length > 0 || !validator.is(object)) {
    throw new InputError("EXCEPTION_INVALID", "invalid MCPWardenException", { problems });
  }
  return {
    ...object,
    metadata: { ...object.metadata, namespace: object.metadata.namespace || "default" },
  };
}
