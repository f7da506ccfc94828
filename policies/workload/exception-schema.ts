import { adminObjectParser } from "../admin-object.ts";

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

/**
 * Validates an `MCPWardenException` object. A missing namespace means `default`, as kubectl does.
 * @throws InputError EXCEPTION_INVALID listing every bad field
 */
export const parseException: (object: unknown) => Exception = adminObjectParser({
  apiVersion: EXCEPTION_API_VERSION,
  kind: EXCEPTION_KIND,
  spec: exceptionSpecSchema,
  code: "EXCEPTION_INVALID",
});
