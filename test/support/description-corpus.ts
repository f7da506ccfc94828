import { readdirSync, readFileSync } from "node:fs";
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
 * carries the split it belongs to: `tune` (what the detector was tuned on) or `holdout`.
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

function readItems(file: string, categoryKey: "category" | "kind"): CorpusItem[] {
  const doc = json(new URL(file, root));
  if (!isRecord(doc) || !Array.isArray(doc.items)) throw new Error(`${file}: no items`);
  return doc.items.map((raw: unknown) => {
    if (!isRecord(raw) || typeof raw.id !== "string") throw new Error(`${file}: item without id`);
    const split = raw.split;
    if (split !== "tune" && split !== "holdout") throw new Error(`${file}: ${raw.id} has no split`);
    return {
      id: raw.id,
      category: String(raw[categoryKey]),
      where: typeof raw.where === "string" ? raw.where : "tool description",
      ...(typeof raw.source === "string" ? { source: raw.source } : {}),
      split,
      surface: surfaceOf(raw, raw.id),
    };
  });
}

export const attackItems = (): CorpusItem[] => readItems("attacks.json", "category");
export const trickyItems = (): CorpusItem[] => readItems("benign-tricky.json", "kind");

/** One recorded tool list: the server, its split, its whole surface and each tool as an item. */
export interface RealServer {
  server: string;
  split: Split;
  /** Every tool of the server, as it is judged: a tool may name its siblings. */
  surface: ServerSurface;
  items: CorpusItem[];
}

/** The split of the recorded servers, `split.json`: server file → tune | holdout. */
function realSplit(): Record<string, Split> {
  const doc = json(new URL("split.json", root));
  if (!isRecord(doc) || !isRecord(doc.benignReal)) throw new Error("split.json: no benignReal");
  const out: Record<string, Split> = {};
  for (const [k, v] of Object.entries(doc.benignReal))
    if (v === "tune" || v === "holdout") out[k] = v;
  return out;
}

/** `benign-real/*.tools.json` and the recorded lists under test/fixtures/mcp/. */
export function realServers(): RealServer[] {
  const split = realSplit();
  const dirs = [new URL("benign-real/", root), new URL("../mcp/", root)];
  const servers: RealServer[] = [];
  for (const dir of dirs)
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".tools.json"))
      .sort()) {
      const s = split[file];
      if (s === undefined) throw new Error(`split.json does not place ${file}`);
      const { tools, problems } = readToolDefinitions(json(new URL(file, dir)), file);
      if (problems.length > 0) throw new Error(`${file}: ${JSON.stringify(problems)}`);
      servers.push({
        server: file.replace(/\.tools\.json$/, ""),
        split: s,
        surface: { tools },
        items: tools.map((tool) => ({
          id: `${file}:${tool.name}`,
          category: "real",
          where: "tool",
          split: s,
          surface: { tools: [tool] },
        })),
      });
    }
  return servers;
}
