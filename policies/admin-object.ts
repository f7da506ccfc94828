import { InputError, type InputErrorCode } from "./errors.ts";
import { isRecord } from "./guards.ts";
import { parseRfc3339 } from "./rfc3339.ts";
import { compileSchema } from "./schema-validator.ts";

/** What an admin-namespace object (an exception, an access grant) is after validation. */
export interface AdminObject<Kind extends string, Spec> {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; namespace: string };
  spec: Spec;
}

/**
 * The parser of one namespaced `mcp-warden.dev` kind whose spec may carry an RFC 3339 `expires`:
 * every bad field is reported at once (an unparseable `expires` too, never read as "no expiry"),
 * and a missing namespace means `default`, as kubectl does.
 */
export function adminObjectParser<Kind extends string, Spec>(opts: {
  apiVersion: string;
  kind: Kind;
  spec: object;
  code: InputErrorCode;
}): (object: unknown) => AdminObject<Kind, Spec> {
  const validator = compileSchema<{
    apiVersion: string;
    kind: Kind;
    metadata: { name: string; namespace?: string };
    spec: Spec;
  }>({
    type: "object",
    required: ["apiVersion", "kind", "metadata", "spec"],
    properties: {
      apiVersion: { const: opts.apiVersion },
      kind: { const: opts.kind },
      metadata: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string" } },
      },
      spec: opts.spec,
    },
  });
  return (object) => {
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
      throw new InputError(opts.code, `invalid ${opts.kind}`, { problems });
    }
    return {
      ...object,
      metadata: { ...object.metadata, namespace: object.metadata.namespace || "default" },
    };
  };
}
