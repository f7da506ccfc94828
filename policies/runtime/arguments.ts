import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import canonicalize from "canonicalize";
import type { FieldProblem } from "../errors.ts";
import { pointerToFieldPath } from "../field-path.ts";
import type { ToolDefinition } from "../evaluation/tool-pins.ts";

/**
 * Call arguments against the pinned `inputSchema`: JSON Schema 2020-12 unless the schema's
 * `$schema` names draft-07 (what zod-to-json-schema writes); any other dialect, a remote `$ref`
 * (nothing is ever fetched) or a schema over the limits cannot be checked, so the call is refused.
 */

// ajv-formats is CommonJS with a default export; Node's ESM interop hands us the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => Ajv | Ajv2020;

const DRAFT_2020 = new Set([
  "https://json-schema.org/draft/2020-12/schema",
  "https://json-schema.org/draft/2020-12/schema#",
]);
const DRAFT_07 = new Set([
  "http://json-schema.org/draft-07/schema",
  "http://json-schema.org/draft-07/schema#",
  "https://json-schema.org/draft-07/schema",
  "https://json-schema.org/draft-07/schema#",
]);

export interface ArgumentLimits {
  /** Canonical JSON characters of one inputSchema. */
  maxSchemaChars: number;
  /** Nesting of objects and arrays in the arguments. */
  maxDepth: number;
}

export const DEFAULT_ARGUMENT_LIMITS: ArgumentLimits = { maxSchemaChars: 262_144, maxDepth: 64 };

export type ArgumentCheck =
  | { ok: true }
  /** The arguments are outside the schema: JSON-RPC -32602. */
  | { ok: false; kind: "invalid"; problems: FieldProblem[] }
  /** The schema itself cannot be checked against: the call is refused, not forwarded. */
  | { ok: false; kind: "unusable"; reason: string };

function depthExceeds(value: unknown, max: number): boolean {
  // Iterative, so a deep value never recurses.
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

function problemOf(e: ErrorObject): FieldProblem {
  const path =
    e.keyword === "required"
      ? `${e.instancePath}/${String(e.params.missingProperty)}`
      : e.keyword === "additionalProperties"
        ? `${e.instancePath}/${String(e.params.additionalProperty)}`
        : e.instancePath;
  return {
    path: pointerToFieldPath("arguments", path),
    message: e.keyword === "additionalProperties" ? "is not allowed" : (e.message ?? e.keyword),
  };
}

/**
 * Validators for one server's tools, each compiled once per pinned schema and kept while the
 * gateway runs (the evaluation bounds how many there are).
 */
export class ArgumentValidators {
  private readonly limits: ArgumentLimits;
  private readonly cache = new Map<string, ValidateFunction | string>();
  private readonly ajv07: Ajv | Ajv2020;
  private readonly ajv2020: Ajv | Ajv2020;

  constructor(limits: ArgumentLimits = DEFAULT_ARGUMENT_LIMITS) {
    this.limits = limits;
    // Not strict: published schemas carry keywords ajv does not know; they constrain nothing.
    const options = { strict: false, allErrors: false, validateSchema: true } as const;
    this.ajv07 = addFormats(new Ajv(options));
    this.ajv2020 = addFormats(new Ajv2020(options));
  }

  // The same schema object (an approved definition) is looked up without re-serialising it.
  private readonly bySchema = new WeakMap<object, ValidateFunction | string>();

  private compiled(schema: Record<string, unknown>): ValidateFunction | string {
    const known = this.bySchema.get(schema);
    if (known !== undefined) return known;
    const result = this.compile(schema);
    this.bySchema.set(schema, result);
    return result;
  }

  private compile(schema: Record<string, unknown>): ValidateFunction | string {
    const text = canonicalize(schema) ?? "";
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    let result: ValidateFunction | string;
    const dialect = schema.$schema;
    if (text.length > this.limits.maxSchemaChars) {
      result = `the inputSchema is larger than ${this.limits.maxSchemaChars} characters`;
    } else if (dialect !== undefined && typeof dialect !== "string") {
      result = "the inputSchema's $schema is not a string";
    } else if (dialect !== undefined && !DRAFT_2020.has(dialect) && !DRAFT_07.has(dialect)) {
      result = `the inputSchema's $schema ${JSON.stringify(dialect)} is neither 2020-12 nor draft-07`;
    } else {
      const ajv = dialect !== undefined && DRAFT_07.has(dialect) ? this.ajv07 : this.ajv2020;
      try {
        // A copy without $id: two tools may share an id, and ajv keeps compiled schemas by it.
        const copy = { ...schema };
        delete copy.$id;
        result = ajv.compile(copy);
      } catch (err) {
        // A $ref ajv cannot resolve locally is a remote one: nothing is fetched.
        result = `the inputSchema cannot be compiled: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    this.cache.set(text, result);
    return result;
  }

  /** Checks `args` (absent: `{}`) against the tool's inputSchema. */
  check(tool: ToolDefinition, args: unknown): ArgumentCheck {
    const validate = this.compiled(tool.inputSchema);
    if (typeof validate === "string") return { ok: false, kind: "unusable", reason: validate };
    const value = args === undefined ? {} : args;
    if (depthExceeds(value, this.limits.maxDepth))
      return {
        ok: false,
        kind: "invalid",
        problems: [{ path: "arguments", message: `nests deeper than ${this.limits.maxDepth}` }],
      };
    if (validate(value)) return { ok: true };
    return { ok: false, kind: "invalid", problems: (validate.errors ?? []).map(problemOf) };
  }
}
