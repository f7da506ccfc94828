import { isMap, isNode, isPair, isScalar, parseDocument, type Pair, type YAMLMap } from "yaml";
import { InputError } from "../errors.ts";
import { isRecord } from "../guards.ts";
import { diffValues, formatChanges } from "./definition-diff.ts";
import { escapeText } from "./description-safety/text.ts";
import {
  pinInstructions,
  pinPrompt,
  pinResourceTemplate,
  type ServerDefinitions,
} from "./server-definitions.ts";
import {
  INSTRUCTIONS_KEY,
  PERMISSIONS_KEY,
  PROMPTS_KEY,
  RESOURCE_TEMPLATES_KEY,
  TOOLS_KEY,
} from "./server-manifest.ts";
import { pinTool, type JsonObject, type ToolDefinition } from "./tool-pins.ts";

/**
 * Authoring the manifest (`mcp-warden evaluate --write-manifest`): writes what the running server
 * exposes — its tools, prompts, resource templates and instructions, each with its pin — into
 * `server.json`'s `_meta`, and a permissions skeleton when none is declared. Only those `_meta`
 * members change: the rest of the file keeps its bytes, key order, indentation and line endings.
 */

/** What the server listed, as `listServerTools` returns it. */
export interface ServerListing {
  tools: readonly ToolDefinition[];
  definitions: ServerDefinitions;
}

export interface AuthoredManifest {
  /** The new file contents. */
  text: string;
  /** What changed, one line each; empty when the manifest already declared all of it. */
  changes: string[];
}

/** The permissions a manifest starts from: nothing allowed until the author says otherwise. */
export const PERMISSIONS_SKELETON = {
  egress: [],
  ingress: { agents: [] },
  filesystem: [],
  credentials: [],
};

type Json = unknown;

function declaredTools(tools: readonly ToolDefinition[]): JsonObject[] {
  // `_meta` is not part of a declaration: a pin does not cover it.
  return tools.map(({ _meta, ...t }) => ({ ...t, sha256: pinTool(t).sha256 }));
}

/** The `_meta` members this writes, in the order they are added; `undefined` removes one. */
function ownedValues(listing: ServerListing): [string, Json][] {
  const d = listing.definitions;
  return [
    [TOOLS_KEY, declaredTools(listing.tools)],
    [
      PROMPTS_KEY,
      d.prompts.length === 0
        ? undefined
        : d.prompts.map((p) => ({ ...p, sha256: pinPrompt(p).sha256 })),
    ],
    [
      RESOURCE_TEMPLATES_KEY,
      d.resourceTemplates.length === 0
        ? undefined
        : d.resourceTemplates.map((t) => ({ ...t, sha256: pinResourceTemplate(t).sha256 })),
    ],
    [INSTRUCTIONS_KEY, d.instructions === undefined ? undefined : pinInstructions(d.instructions)],
  ];
}

const LABELS: Record<string, string> = {
  [TOOLS_KEY]: "tool",
  [PROMPTS_KEY]: "prompt",
  [RESOURCE_TEMPLATES_KEY]: "resource template",
};

const withoutPin = (v: Json): Json =>
  isRecord(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "sha256")) : v;

/** What changed in one owned member, as lines a reviewer reads. */
function describeChanges(key: string, before: Json, after: Json): string[] {
  const label = LABELS[key];
  if (label === undefined) {
    // The instructions: one object.
    const a = isRecord(before) ? before.text : undefined;
    const b = isRecord(after) ? after.text : undefined;
    if (a === b)
      return JSON.stringify(before) === JSON.stringify(after) ? [] : ["instructions pinned"];
    if (a === undefined) return ["instructions declared and pinned"];
    if (b === undefined) return ["instructions removed (the server no longer sends any)"];
    return [`instructions changed: ${formatChanges(diffValues(a, b))}`];
  }
  const byName = (list: Json): Map<string, Json> =>
    new Map(
      (Array.isArray(list) ? list : []).flatMap((x: unknown) =>
        isRecord(x) && typeof x.name === "string" ? [[x.name, x] as [string, Json]] : [],
      ),
    );
  const was = byName(before);
  const now = byName(after);
  const lines: string[] = [];
  for (const [name, value] of now) {
    const shown = `${label} "${escapeText(name, 80)}"`;
    const old = was.get(name);
    if (old === undefined) lines.push(`${shown} declared and pinned`);
    else {
      const changes = diffValues(withoutPin(old), withoutPin(value));
      if (changes.length > 0) lines.push(`${shown} changed: ${formatChanges(changes)}`);
      else if (JSON.stringify(old) !== JSON.stringify(value)) lines.push(`${shown} pinned`);
    }
  }
  for (const name of was.keys())
    if (!now.has(name))
      lines.push(`${label} "${escapeText(name, 80)}" removed (the server no longer exposes it)`);
  return lines;
}

interface Layout {
  unit: string;
  newline: string;
  compact: boolean;
}

function layoutOf(text: string): Layout {
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const indented = /\n([ \t]+)"/.exec(text);
  return { unit: indented?.[1] ?? "  ", newline, compact: indented === null };
}

/** `value` as JSON for a member at `depth` (1 = a key of the root object). */
function render(value: Json, depth: number, layout: Layout): string {
  if (layout.compact) return JSON.stringify(value);
  return JSON.stringify(value, null, layout.unit).replace(
    /\n/g,
    `${layout.newline}${layout.unit.repeat(depth)}`,
  );
}

function member(key: string, value: Json, depth: number, layout: Layout): string {
  const sep = layout.compact ? "" : `${layout.newline}${layout.unit.repeat(depth)}`;
  return `,${sep}${JSON.stringify(key)}:${layout.compact ? "" : " "}${render(value, depth, layout)}`;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/** Where a node starts and ends in the text. */
function rangeOf(node: unknown): { start: number; end: number } {
  const range = isNode(node) ? node.range : undefined;
  if (!range) throw new Error("a manifest node without a source range");
  return { start: range[0], end: range[1] };
}

const end = (node: unknown): number => rangeOf(node).end;

/**
 * Writes `listing` into the manifest `text` (already validated as a manifest): the owned `_meta`
 * members are replaced, added or removed, the permissions skeleton added when there are no
 * permissions, and nothing else is touched.
 * @throws InputError MANIFEST_INVALID when `text` is not a JSON object
 */
export function authorManifest(text: string, listing: ServerListing): AuthoredManifest {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = text.slice(bom.length);
  const parsed: unknown = JSON.parse(body);
  const doc = parseDocument(body, { uniqueKeys: false, strict: false });
  const root = doc.contents;
  if (!isRecord(parsed) || !isMap(root))
    throw new InputError("MANIFEST_INVALID", "the manifest is not a JSON object");
  const layout = layoutOf(body);
  const oldMeta = isRecord(parsed._meta) ? parsed._meta : undefined;

  const wanted = ownedValues(listing);
  if (oldMeta?.[PERMISSIONS_KEY] === undefined)
    wanted.unshift([PERMISSIONS_KEY, PERMISSIONS_SKELETON]);
  const changes: string[] = [];
  for (const [key, value] of wanted) {
    if (key === PERMISSIONS_KEY)
      changes.push(
        "permissions skeleton added (nothing allowed): declare egress, ingress agents, filesystem and credentials",
      );
    else changes.push(...describeChanges(key, oldMeta?.[key], value));
  }

  const edits: Edit[] = [];
  const metaPair = root.items.find((p) => keyOf(p) === "_meta");
  if (metaPair === undefined || !isMap(metaPair.value)) {
    const meta = Object.fromEntries(wanted.filter(([, v]) => v !== undefined));
    const last = root.items.at(-1);
    if (last === undefined) throw new InputError("MANIFEST_INVALID", "the manifest is empty");
    const at = end(last.value);
    edits.push({ start: at, end: at, text: member("_meta", meta, 1, layout) });
  } else {
    const meta: YAMLMap = metaPair.value;
    const pairs = meta.items.filter(isPair);
    let inserted = "";
    const removed = new Set<Pair>();
    for (const [key, value] of wanted) {
      const pair = pairs.find((p) => keyOf(p) === key);
      if (pair === undefined) {
        if (value !== undefined) inserted += member(key, value, 2, layout);
      } else if (value === undefined) {
        removed.add(pair);
      } else if (JSON.stringify(oldMeta?.[key]) !== JSON.stringify(value)) {
        edits.push({ ...rangeOf(pair.value), text: render(value, 2, layout) });
      }
    }
    const kept = pairs.filter((p) => !removed.has(p));
    if (kept.length === 0) {
      // Every member removed or new: the whole object is rewritten.
      const value = Object.fromEntries(wanted.filter(([, v]) => v !== undefined));
      edits.push({ ...rangeOf(meta), text: render(value, 1, layout) });
    } else {
      // A removed member goes with the comma before it (or, first, the one after it).
      pairs.forEach((p, i) => {
        if (!removed.has(p)) return;
        const previous = pairs[i - 1];
        const next = pairs[i + 1];
        if (previous !== undefined)
          edits.push({ start: end(previous.value), end: end(p.value), text: "" });
        else if (next !== undefined)
          edits.push({ start: rangeOf(p.key).start, end: rangeOf(next.key).start, text: "" });
      });
      if (inserted !== "") {
        const last = kept.at(-1);
        if (last !== undefined) {
          const at = end(last.value);
          edits.push({ start: at, end: at, text: inserted });
        }
      }
    }
  }
  let out = body;
  // From the end of the file backwards; at one offset, a removal before an insertion.
  for (const e of edits.sort((a, b) => b.start - a.start || b.end - a.end))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: bom + out, changes };
}
