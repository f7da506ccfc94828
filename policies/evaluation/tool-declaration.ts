import type { ControlFinding } from "./predicate.ts";
import {
  escapeText,
  listedToolsAt,
  manifestToolsAt,
  type ToolLocator,
} from "./description-safety.ts";
import type { DeclaredTool } from "./server-manifest.ts";
import { diffValues, formatChanges } from "./definition-diff.ts";
import { pinnedFields, pinTool, type ToolDefinition } from "./tool-pins.ts";

/**
 * Tool declaration (control CD-01): the tools a server exposes are exactly the tools its manifest
 * declares, as declared, and a tool pinned by an earlier evaluation (`sha256`) still hashes to its
 * pin. A definition that changed after it was approved is a rug pull. A difference is reported
 * with what changed, field by field (`definition-diff.ts`).
 */

export interface ToolLocations {
  /** Where declared tools are; default `server.json#_meta["dev.mcp-warden/tools"][i]`. */
  declared?: ToolLocator;
  /** Where exposed tools are; default `tools/list:<name>`. */
  exposed?: ToolLocator;
}

const short = (hex: string): string => hex.slice(0, 12);
const named = (name: string): string => `"${escapeText(name, 80)}"`;

function rugPull(
  tool: DeclaredTool,
  pinned: string,
  now: ToolDefinition,
  changes: string,
  location: string,
  source: string,
): ControlFinding {
  return {
    message:
      `tool ${named(tool.name)} changed since it was pinned (rug pull): the pin is ${short(pinned)}…, ` +
      `the ${source} definition hashes to ${short(pinTool(now).sha256)}…` +
      (changes === "" ? "" : `; against the declared definition: ${changes}`),
    severity: "high",
    location,
  };
}

/**
 * The declared tools' own pins: a declared `sha256` that does not match the declared definition
 * means the definition was edited after it was pinned. For when the server could not be listed;
 * `compareTools` checks pins against what the server exposes.
 */
export function checkDeclaredPins(
  declared: readonly DeclaredTool[],
  where: ToolLocator = manifestToolsAt("server.json"),
): ControlFinding[] {
  const findings: ControlFinding[] = [];
  declared.forEach((tool, i) => {
    if (tool.sha256 !== undefined && tool.sha256 !== pinTool(tool).sha256)
      findings.push(rugPull(tool, tool.sha256, tool, "", `${where(tool, i)}.sha256`, "declared"));
  });
  return findings;
}

/**
 * CD-01 findings comparing the manifest's declared tools with the tools the server exposes
 * (`tools/list`): exposed but not declared, declared but not exposed, pinned definitions that
 * changed (rug pull), and declared definitions that differ from the exposed ones. Empty when they
 * agree.
 */
export function compareTools(
  declared: readonly DeclaredTool[],
  exposed: readonly ToolDefinition[],
  where: ToolLocations = {},
): ControlFinding[] {
  const declaredAt = where.declared ?? manifestToolsAt("server.json");
  const exposedAt = where.exposed ?? listedToolsAt();
  const findings: ControlFinding[] = [];

  const exposedByName = new Map<string, [ToolDefinition, number]>();
  exposed.forEach((tool, i) => {
    if (exposedByName.has(tool.name))
      findings.push({
        message: `the server lists tool ${named(tool.name)} more than once`,
        severity: "high",
        location: exposedAt(tool, i),
      });
    else exposedByName.set(tool.name, [tool, i]);
  });
  const declaredNames = new Set(declared.map((t) => t.name));

  declared.forEach((tool, i) => {
    const location = declaredAt(tool, i);
    const found = exposedByName.get(tool.name);
    if (found === undefined) {
      findings.push({
        message: `declared tool ${named(tool.name)} is not exposed by the server`,
        severity: "medium",
        location,
      });
      findings.push(...checkDeclaredPins([tool], () => location));
      return;
    }
    const [now, j] = found;
    const nowPin = pinTool(now).sha256;
    const changes = formatChanges(diffValues(pinnedFields(tool), pinnedFields(now)));
    if (tool.sha256 !== undefined && tool.sha256 !== nowPin) {
      findings.push(rugPull(tool, tool.sha256, now, changes, exposedAt(now, j), "exposed"));
    }
    if (pinTool(tool).sha256 !== nowPin) {
      findings.push({
        message: `tool ${named(tool.name)} is exposed with another definition than declared: ${changes}`,
        severity: "medium",
        location: exposedAt(now, j),
      });
    }
  });

  exposed.forEach((tool, i) => {
    if (!declaredNames.has(tool.name) && exposedByName.get(tool.name)?.[1] === i)
      findings.push({
        message: `the server exposes tool ${named(tool.name)}, which the manifest does not declare`,
        severity: "high",
        location: exposedAt(tool, i),
      });
  });
  return findings;
}
