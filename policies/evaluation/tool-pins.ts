import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { compileSchema } from "../schema-validator.ts";
import type { ToolPin } from "./predicate.ts";

/**
 * Tool pins (DESIGN.md "Evaluation attestation"): each tool definition is recorded with the
 * SHA-256 of its RFC 8785 canonical JSON, so a later change of what a model reads (description,
 * schemas, annotations) — a rug pull — is detectable by comparing hashes.
 */

/** A JSON object, as the MCP `Tool` carries for schemas and annotations. */
export type JsonObject = Record<string, unknown>;

/** One tool definition as MCP `tools/list` returns it (the fields a pin covers, and title). */
export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  /** JSON Schema of the arguments; MCP requires `type: "object"` at its root. */
  inputSchema: JsonObject;
  outputSchema?: JsonObject;
  annotations?: JsonObject;
  /**
   * The tool's `_meta`: not pinned (a pin covers what the specification defines a tool by), but
   * read for what it tells a model, since clients may show it one.
   */
  _meta?: JsonObject;
  /**
   * The tool's `icons` (`{src, mimeType?, sizes?}`): not pinned either, but read, since a client
   * fetches each `src` and a URL can carry words.
   */
  icons?: unknown[];
}

/** Hex SHA-256 of the RFC 8785 canonical JSON of `value`. */
export function canonicalSha256(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The object a tool's pin hashes: `{name, description, inputSchema, outputSchema, annotations}`, absent members left out. */
export function pinnedFields(tool: ToolDefinition): JsonObject {
  const fields: JsonObject = { name: tool.name };
  if (tool.description !== undefined) fields.description = tool.description;
  fields.inputSchema = tool.inputSchema;
  if (tool.outputSchema !== undefined) fields.outputSchema = tool.outputSchema;
  if (tool.annotations !== undefined) fields.annotations = tool.annotations;
  return fields;
}

/** The predicate's record of one tool: its description, schema hashes and pin. */
export function pinTool(tool: ToolDefinition): ToolPin {
  const pin: ToolPin = {
    name: tool.name,
    inputSchemaSha256: canonicalSha256(tool.inputSchema),
    sha256: canonicalSha256(pinnedFields(tool)),
  };
  if (tool.description !== undefined) pin.description = tool.description;
  if (tool.outputSchema !== undefined) pin.outputSchemaSha256 = canonicalSha256(tool.outputSchema);
  return pin;
}

/** Pins every tool, in the order given. */
export function pinTools(tools: readonly ToolDefinition[]): ToolPin[] {
  return tools.map(pinTool);
}

/** The members of `pinnedFields` whose hashes differ between two definitions of a tool. */
export function changedFields(before: ToolDefinition, after: ToolDefinition): string[] {
  const a = pinnedFields(before);
  const b = pinnedFields(after);
  const keys = ["name", "description", "inputSchema", "outputSchema", "annotations"];
  return keys.filter((k) => {
    const x = a[k];
    const y = b[k];
    if (x === undefined || y === undefined) return x !== y;
    return canonicalSha256(x) !== canonicalSha256(y);
  });
}

const toolListSchema = {
  type: "array",
  items: {
    type: "object",
    required: ["name", "inputSchema"],
    properties: {
      name: { type: "string", minLength: 1 },
      title: { type: "string" },
      description: { type: "string" },
      inputSchema: {
        type: "object",
        required: ["type"],
        properties: { type: { type: "string", const: "object" } },
      },
      outputSchema: {
        type: "object",
        required: ["type"],
        properties: { type: { type: "string", const: "object" } },
      },
      annotations: { type: "object" },
      _meta: { type: "object" },
      icons: { type: "array" },
    },
  },
} as const;

const toolListValidator = compileSchema<ToolDefinition[]>(toolListSchema);

/** A tool definition reduced to the fields a pin covers, plus title. */
export function toolDefinition(t: ToolDefinition): ToolDefinition {
  const tool: ToolDefinition = { name: t.name, inputSchema: t.inputSchema };
  if (t.title !== undefined) tool.title = t.title;
  if (t.description !== undefined) tool.description = t.description;
  if (t.outputSchema !== undefined) tool.outputSchema = t.outputSchema;
  if (t.annotations !== undefined) tool.annotations = t.annotations;
  if (t._meta !== undefined) tool._meta = t._meta;
  if (t.icons !== undefined) tool.icons = t.icons;
  return tool;
}

/** A problem for every tool whose name an earlier tool in the list already has. */
export function repeatedNames(tools: readonly { name: string }[], base: string): FieldProblem[] {
  const first = new Map<string, number>();
  const problems: FieldProblem[] = [];
  tools.forEach((tool, i) => {
    const earlier = first.get(tool.name);
    if (earlier === undefined) first.set(tool.name, i);
    else
      problems.push({
        path: fieldPath(base, i, "name"),
        message: `repeats ${fieldPath(base, earlier, "name")} (${JSON.stringify(tool.name)}); tool names must be unique`,
      });
  });
  return problems;
}

/**
 * Reads a list a server returned (tools, prompts, resource templates): every problem (field path
 * under `base`) the schema finds, then repeated names; the items reduced by `reduce`.
 */
export function readNamedList<T extends { name: string }>(
  validator: {
    problems(value: unknown, base: string): FieldProblem[];
    is(value: unknown): value is T[];
  },
  reduce: (item: T) => T,
  value: unknown,
  base: string,
): { items: T[]; problems: FieldProblem[] } {
  const problems = validator.problems(value, base);
  if (problems.length > 0 || !validator.is(value)) return { items: [], problems };
  problems.push(...repeatedNames(value, base));
  return { items: value.map(reduce), problems };
}

/**
 * Reads a `tools` array as a server returned it: every problem (field path under `base`), and the
 * definitions reduced to the fields a pin covers plus title. Names must be unique.
 */
export function readToolDefinitions(
  value: unknown,
  base: string,
): { tools: ToolDefinition[]; problems: FieldProblem[] } {
  const { items, problems } = readNamedList(toolListValidator, toolDefinition, value, base);
  return { tools: items, problems };
}
