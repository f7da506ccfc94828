import type { EvaluationPredicate, PromptPin, ToolPin } from "../evaluation/predicate.ts";
import { pinPrompt, type PromptDefinition } from "../evaluation/server-definitions.ts";
import {
  readNamedList,
  readToolDefinitions,
  type ToolDefinition,
} from "../evaluation/tool-pins.ts";
import { pinTool } from "../evaluation/tool-pins.ts";
import { canonicalSha256 } from "../evaluation/tool-pins.ts";
import { compileSchema } from "../schema-validator.ts";
import type { AgentGrant } from "./access.ts";

/**
 * The gateway's decisions (DESIGN.md "Runtime gateway"): default deny; a call is allowed only
 * when the signed evaluation declares the agent, a grant allows the tool (prompt, resource) and
 * the definition the server offers now is the one the evaluation pinned.
 */

/** What the signed evaluation approved: pins by name. */
export interface Baseline {
  tools: ReadonlyMap<string, ToolPin>;
  prompts: ReadonlyMap<string, PromptPin>;
}

export function baselineOf(predicate: EvaluationPredicate): Baseline {
  return {
    tools: new Map(predicate.tools.map((t) => [t.name, t])),
    prompts: new Map((predicate.prompts ?? []).map((p) => [p.name, p])),
  };
}

export type DriftReason = "not-in-evaluation" | "definition-changed" | "malformed";

/** A listed definition the gateway withholds, and why. */
export interface Withheld {
  name: string;
  reason: DriftReason;
  /** For a changed definition: which pinned parts differ (`description`, `inputSchema`...). */
  changed?: string[];
}

/** Which parts of a tool differ from its pin, as far as the pin's hashes tell. */
function changedParts(pin: ToolPin, tool: ToolDefinition): string[] {
  const parts: string[] = [];
  if ((pin.description ?? null) !== (tool.description ?? null)) parts.push("description");
  if (pin.inputSchemaSha256 !== canonicalSha256(tool.inputSchema)) parts.push("inputSchema");
  const out = tool.outputSchema === undefined ? undefined : canonicalSha256(tool.outputSchema);
  if (pin.outputSchemaSha256 !== out) parts.push("outputSchema");
  // Only name and annotations are left: the name matched, so the annotations changed.
  return parts.length > 0 ? parts : ["annotations"];
}

/** The name of a listed item, if it has one that is a string. */
function nameOf(item: unknown): string {
  return typeof item === "object" &&
    item !== null &&
    "name" in item &&
    typeof item.name === "string"
    ? item.name
    : "(unnamed)";
}

/** One listed tool against the baseline: its definition when it is the pinned one, else why not. */
export function checkTool(
  item: unknown,
  baseline: Baseline,
): { tool: ToolDefinition } | { withheld: Withheld } {
  const { tools, problems } = readToolDefinitions([item], "tool");
  const tool = tools[0];
  if (problems.length > 0 || tool === undefined)
    return { withheld: { name: nameOf(item), reason: "malformed" } };
  const pin = baseline.tools.get(tool.name);
  if (pin === undefined) return { withheld: { name: tool.name, reason: "not-in-evaluation" } };
  if (pinTool(tool).sha256 !== pin.sha256)
    return {
      withheld: { name: tool.name, reason: "definition-changed", changed: changedParts(pin, tool) },
    };
  return { tool };
}

const promptListValidator = compileSchema<PromptDefinition[]>({
  type: "array",
  items: {
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1 },
      description: { type: "string" },
      arguments: {
        type: "array",
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            description: { type: "string" },
            required: { type: "boolean" },
          },
        },
      },
    },
  },
});

/** One listed prompt against the baseline, as {@link checkTool}. */
export function checkPrompt(item: unknown, baseline: Baseline): { withheld?: Withheld } {
  const { items, problems } = readNamedList(promptListValidator, (p) => p, [item], "prompt");
  const prompt = items[0];
  if (problems.length > 0 || prompt === undefined)
    return { withheld: { name: nameOf(item), reason: "malformed" } };
  const pin = baseline.prompts.get(prompt.name);
  if (pin === undefined) return { withheld: { name: prompt.name, reason: "not-in-evaluation" } };
  if (pinPrompt(prompt).sha256 !== pin.sha256)
    return { withheld: { name: prompt.name, reason: "definition-changed" } };
  return {};
}

/** What a listing of the server's tools found: the approved definitions, and what is withheld. */
export interface ToolCheck {
  approved: Map<string, ToolDefinition>;
  withheld: Withheld[];
}

/** Checks every tool a server listed against the baseline; a repeated name is withheld. */
export function checkTools(listed: readonly unknown[], baseline: Baseline): ToolCheck {
  const approved = new Map<string, ToolDefinition>();
  const withheld: Withheld[] = [];
  const seen = new Set<string>();
  for (const item of listed) {
    const name = nameOf(item);
    // A server listing one name twice could show one definition and run another.
    if (seen.has(name)) {
      approved.delete(name);
      withheld.push({ name, reason: "malformed" });
      continue;
    }
    seen.add(name);
    const checked = checkTool(item, baseline);
    if ("tool" in checked) approved.set(name, checked.tool);
    else withheld.push(checked.withheld);
  }
  return { approved, withheld };
}

export type TargetKind = "tool" | "prompt" | "resource";

export interface CallInput {
  /** The declared agent the caller's identity maps to; undefined when it maps to none. */
  agent: string | undefined;
  /** What grants allow that agent now; undefined when none holds. */
  grant: AgentGrant | undefined;
  kind: TargetKind;
  /** The tool or prompt name, or the resource URI. */
  name: string;
  /** Tools (or prompts) whose current definition is the pinned one. */
  approved: ReadonlySet<string>;
}

/** A decision: `reason` is for logs and the audit trail, never for the caller. */
export type Decision = { allowed: true; reason: string } | { allowed: false; reason: string };

/** Whether `grant` allows `name` of `kind`. */
export function granted(grant: AgentGrant | undefined, kind: TargetKind, name: string): boolean {
  if (grant === undefined) return false;
  const globs = kind === "tool" ? grant.tools : kind === "prompt" ? grant.prompts : grant.resources;
  return globs.some((g) => g.matches(name));
}

/** Default deny: the agent declared, granted, and (for tools and prompts) the pinned definition. */
export function decideCall(input: CallInput): Decision {
  const { agent, grant, kind, name } = input;
  if (agent === undefined)
    return { allowed: false, reason: "the caller is no agent the evaluation declares" };
  if (grant === undefined) return { allowed: false, reason: `no grant holds for agent ${agent}` };
  if (!granted(grant, kind, name))
    return { allowed: false, reason: `${kind} ${name} is not granted to agent ${agent}` };
  if (kind !== "resource" && !input.approved.has(name))
    return {
      allowed: false,
      reason: `${kind} ${name} is not in the evaluation, or its definition differs from it`,
    };
  return { allowed: true, reason: `granted by ${grant.from.join(", ")}` };
}

/**
 * A list answer (`tools/list`, `prompts/list`, `resources/list`) with only the items `keep`
 * allows; the answer's other members (`nextCursor`, `_meta`) unchanged. Undefined when the
 * answer has no such list.
 */
export function filterList(
  result: unknown,
  key: "tools" | "prompts" | "resources" | "resourceTemplates",
  keep: (item: unknown) => boolean,
): { result: Record<string, unknown>; removed: number } | undefined {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return undefined;
  const list = (result as Record<string, unknown>)[key];
  if (!Array.isArray(list)) return undefined;
  const kept = list.filter(keep);
  return { result: { ...result, [key]: kept }, removed: list.length - kept.length };
}
