import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isRecord } from "../../policies/guards.ts";
import type { ServerSurface } from "../../policies/evaluation/description-safety.ts";
import type {
  PromptDefinition,
  ResourceTemplateDefinition,
} from "../../policies/evaluation/server-definitions.ts";
import { readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";

/**
 * The description-safety corpora (test/fixtures/descriptions/): labelled attacks, benign tool
 * lists recorded from published servers, and benign definitions whose words resemble attacks.
 * Each item is one server surface (a tool, or instructions, a prompt or a resource template), and
 * carries the split it belongs to: `tune` (what the detector was tuned on: every file directly in
 * descriptions/ and the earlier holdouts that were looked at, see split.json) or `holdout`
 * (descriptions/holdout-27/, written apart from the detector and never tuned on; absent from a
 * checkout that has not been given it).
 */

export type Split = "tune" | "holdout";

export interface CorpusItem {
  id: string;
  /** Attack category, or for benign items the kind of text. */
  category: string;
  where: string;
  source?: string;
  split: Split;
  surface: ServerSurface;
}

const root = new URL("../fixtures/descriptions/", import.meta.url);
const holdoutRoot = new URL("holdout-27/", root);
/**
 * Holdouts of earlier rounds: once their results were looked at to change the detector they are
 * tuning data (split.json), read as tune items under their folder's name.
 */
const retiredHoldouts = [
  new URL("holdout/", root),
  new URL("holdout-3/", root),
  new URL("holdout-5/", root),
  new URL("holdout-6/", root),
  new URL("holdout-7/", root),
  new URL("holdout-8/", root),
  new URL("holdout-9/", root),
  new URL("holdout-10/", root),
  new URL("holdout-11/", root),
  new URL("holdout-12/", root),
  new URL("holdout-13/", root),
  new URL("holdout-14/", root),
  new URL("holdout-15/", root),
  new URL("holdout-16/", root),
  new URL("holdout-17/", root),
  new URL("holdout-18/", root),
  new URL("holdout-19/", root),
  new URL("holdout-20/", root),
  new URL("holdout-21/", root),
  new URL("holdout-22/", root),
  new URL("holdout-23/", root),
  new URL("holdout-24/", root),
  new URL("holdout-25/", root),
  new URL("holdout-26/", root),
];

/** Whether a holdout (descriptions/holdout-27/) is present to measure on. */
export const holdoutPresent = (): boolean => existsSync(holdoutRoot);
const json = (url: URL): unknown => JSON.parse(readFileSync(url, "utf8")) as unknown;

const optionalString = (v: unknown): boolean => v === undefined || typeof v === "string";

function isPrompt(v: unknown): v is PromptDefinition {
  return (
    isRecord(v) &&
    typeof v.name === "string" &&
    optionalString(v.description) &&
    (v.arguments === undefined ||
      (Array.isArray(v.arguments) &&
        v.arguments.every(
          (a: unknown) =>
            isRecord(a) && typeof a.name === "string" && optionalString(a.description),
        )))
  );
}

function isResourceTemplate(v: unknown): v is ResourceTemplateDefinition {
  return (
    isRecord(v) &&
    typeof v.uriTemplate === "string" &&
    typeof v.name === "string" &&
    optionalString(v.description)
  );
}

function surfaceOf(item: Record<string, unknown>, id: string): ServerSurface {
  if (item.tool !== undefined) {
    const { tools, problems } = readToolDefinitions([item.tool], id);
    if (problems.length > 0) throw new Error(`${id}: ${JSON.stringify(problems)}`);
    return { tools };
  }
  if (typeof item.instructions === "string") return { tools: [], instructions: item.instructions };
  if (isPrompt(item.prompt)) return { tools: [], prompts: [item.prompt] };
  if (isResourceTemplate(item.resourceTemplate))
    return { tools: [], resourceTemplates: [item.resourceTemplate] };
  throw new Error(`${id}: no tool, instructions, prompt or resource template`);
}

// The split of an item is where its file is, not a field of the item: the tune files keep the
// split of round 1 as `round1`, for the record only.
function readItems(
  dir: URL,
  file: string,
  categoryKey: "category" | "kind",
  split: Split,
): CorpusItem[] {
  const url = new URL(file, dir);
  const folder = dir.href === root.href ? "" : `${dir.href.slice(root.href.length)}`;
  if (folder !== "" && !existsSync(url)) return [];
  const name = `${folder}${file}`;
  const doc = json(url);
  if (!isRecord(doc) || !Array.isArray(doc.items)) throw new Error(`${name}: no items`);
  return doc.items.map((raw: unknown, i: number) => {
    if (!isRecord(raw) || typeof raw.id !== "string")
      throw new Error(`${name}: items[${i}] has no id`);
    if (typeof raw[categoryKey] !== "string")
      throw new Error(`${name}: ${raw.id} has no ${categoryKey}`);
    return {
      id: `${folder}${raw.id}`,
      category: raw[categoryKey],
      where: typeof raw.where === "string" ? raw.where : "tool description",
      ...(typeof raw.source === "string" ? { source: raw.source } : {}),
      split,
      surface: surfaceOf(raw, `${name}: ${raw.id}`),
    };
  });
}

/**
 * The tuning files of a kind: `attacks.json` and the rounds' own files beside it
 * (`attacks-r5-languages.json`…), in name order.
 */
const tuneFiles = (file: string): string[] => {
  const stem = file.replace(/\.json$/, "");
  return readdirSync(root)
    .filter((f) => f === file || (f.startsWith(`${stem}-`) && f.endsWith(".json")))
    .sort();
};

const bothSplits = (file: string, key: "category" | "kind"): CorpusItem[] => [
  ...tuneFiles(file).flatMap((f) => readItems(root, f, key, "tune")),
  ...retiredHoldouts.flatMap((dir) => readItems(dir, file, key, "tune")),
  ...(holdoutPresent() ? readItems(holdoutRoot, file, key, "holdout") : []),
];

export const attackItems = (): CorpusItem[] => bothSplits("attacks.json", "category");
export const trickyItems = (): CorpusItem[] => bothSplits("benign-tricky.json", "kind");

/** One recorded tool list: the server, its split, its whole surface and each tool as an item. */
export interface RealServer {
  server: string;
  split: Split;
  /** Every tool of the server, as it is judged: a tool may name its siblings. */
  surface: ServerSurface;
  items: CorpusItem[];
}

/**
 * `benign-real/*.tools.json`, the recorded lists under test/fixtures/mcp/ and the earlier
 * holdouts' (tune), and `holdout-27/benign-real/*.tools.json` when the holdout has them.
 */
export function realServers(): RealServer[] {
  const dirs: [URL, Split][] = [
    [new URL("benign-real/", root), "tune"],
    [new URL("../mcp/", root), "tune"],
    ...retiredHoldouts.map((dir): [URL, Split] => [new URL("benign-real/", dir), "tune"]),
    [new URL("benign-real/", holdoutRoot), "holdout"],
  ];
  const servers: RealServer[] = [];
  for (const [dir, split] of dirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".tools.json"))
      .sort()) {
      const folder = dir.href.startsWith(root.href) ? dir.href.slice(root.href.length) : "";
      const server = `${folder.replace(/benign-real\/$/, "")}${file.replace(/\.tools\.json$/, "")}`;
      // A recorded list is the tools array, or the tools/list answer around it ({"tools": […]}).
      const recorded = json(new URL(file, dir));
      const list =
        typeof recorded === "object" && recorded !== null && "tools" in recorded
          ? recorded.tools
          : recorded;
      const { tools, problems } = readToolDefinitions(list, file);
      if (problems.length > 0) throw new Error(`${server}: ${JSON.stringify(problems)}`);
      servers.push({
        server,
        split,
        surface: { tools },
        items: tools.map((tool) => ({
          id: `${server}:${tool.name}`,
          category: "real",
          where: "tool",
          split,
          surface: { tools: [tool] },
        })),
      });
    }
  }
  return servers;
}
