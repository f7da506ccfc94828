import { fieldPath } from "../field-path.ts";
import { escapeText } from "./description-safety/text.ts";
import type { FindingSubject } from "./ignores.ts";
import type { ControlFinding } from "./predicate.ts";

/**
 * Which tool (or prompt, resource template) and which field a control finding is about, so an
 * ignore entry `{control, tool, field}` can waive it. A finding that names them itself (`tool`,
 * `field` members) is taken at its word; otherwise they are read from its location:
 * `tools/list:read_file.inputSchema.properties.path.description` (what the server listed) or
 * `server.json#_meta["dev.mcp-warden/tools"][2].description` (what the manifest declares).
 */

export interface SubjectContext {
  /** The manifest as locations name it (`server.json`). */
  manifestFile: string;
  /** The names declared under each `_meta` key, in order (`dev.mcp-warden/tools` → names). */
  declared: Record<string, readonly string[]>;
  /** Every name the server listed or the manifest declares, for listing locations. */
  names: readonly string[];
  /**
   * The pin (`sha256`) of each definition, so an entry with a `sha256` waives only the definition
   * it was written for: listed ones by listing (`tools/list:`) and name, declared ones by `_meta`
   * key and index.
   */
  pins?: {
    listed: Readonly<Record<string, Readonly<Record<string, string>>>>;
    declared: Readonly<Record<string, readonly string[]>>;
  };
}

const LISTINGS = ["tools/list:", "prompts/list:", "resources/templates/list:"];

/** `.a.b` / `[0].c` → `a.b` / `[0].c`; empty → undefined. */
function fieldOf(rest: string): string | undefined {
  if (rest === "") return undefined;
  return rest.startsWith(".") ? rest.slice(1) : rest;
}

const boundary = (rest: string): boolean =>
  rest === "" || rest.startsWith(".") || rest.startsWith("[");

function fromLocation(location: string, ctx: SubjectContext): FindingSubject {
  for (const prefix of LISTINGS) {
    if (!location.startsWith(prefix)) continue;
    const after = location.slice(prefix.length);
    // Names are shown escaped; a name may itself contain dots, so the longest known one wins.
    let best: { name: string; shown: string } | undefined;
    for (const name of ctx.names) {
      const shown = escapeText(name, 80);
      if (
        after.startsWith(shown) &&
        boundary(after.slice(shown.length)) &&
        (best === undefined || shown.length > best.shown.length)
      )
        best = { name, shown };
    }
    if (best === undefined) return {};
    const field = fieldOf(after.slice(best.shown.length));
    const sha256 = ctx.pins?.listed[prefix]?.[best.name];
    return {
      tool: best.name,
      ...(field === undefined ? {} : { field }),
      ...(sha256 === undefined ? {} : { sha256 }),
    };
  }
  const hash = location.indexOf("#");
  if (hash < 0 || location.slice(0, hash) !== ctx.manifestFile) return {};
  const path = location.slice(hash + 1);
  for (const [key, names] of Object.entries(ctx.declared)) {
    for (let i = 0; i < names.length; i++) {
      const base = fieldPath("", "_meta", key, i);
      if (path.startsWith(base) && boundary(path.slice(base.length))) {
        const field = fieldOf(path.slice(base.length));
        const sha256 = ctx.pins?.declared[key]?.[i];
        return {
          tool: names[i] ?? "",
          ...(field === undefined ? {} : { field }),
          ...(sha256 === undefined ? {} : { sha256 }),
        };
      }
    }
  }
  return {};
}

/** The tool and field of `finding`: its own `tool`/`field` members if it has them, else from its location. */
export function findingSubject(finding: ControlFinding, ctx: SubjectContext): FindingSubject {
  const own: FindingSubject = {};
  if ("tool" in finding && typeof finding.tool === "string") own.tool = finding.tool;
  if ("field" in finding && typeof finding.field === "string") own.field = finding.field;
  if (own.tool !== undefined) return own;
  return finding.location === undefined ? own : { ...fromLocation(finding.location, ctx), ...own };
}
