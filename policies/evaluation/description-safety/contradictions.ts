import type { ToolDefinition } from "../tool-pins.ts";
import type { Issue } from "./normalize.ts";
import { quote } from "./text.ts";

/**
 * A tool whose name or annotations say it only reads (`get_…`, `readOnlyHint: true`) or does no
 * harm (`destructiveHint: false`) while its description says the tool itself changes, deletes,
 * sends or runs things. Only sentences whose subject is the tool count — "Deletes the branch",
 * "This tool sends…", "It also runs…" — so a read-only tool that mentions a command for the user
 * to run, or describes what another tool does, is not contradicted.
 */

const READ_ONLY_NAME =
  /^(?:get|list|read|search|find|fetch|query|describe|show|view|lookup|count|check|inspect|preview|stat|browse|peek|info|status|explain|summari[sz]e)$/i;

// Third-person verbs of a tool acting, with what each says it does.
const ACTIONS: [RegExp, string, boolean][] = [
  [/^(?:deletes|removes|erases|wipes|purges|destroys|truncates|drops)\b/u, "deletes data", true],
  // "It moves to the used total", "it updates every minute": the thing itself moves or changes.
  [
    /^(?:overwrites|modifies|updates|writes|edits|renames|moves)\b(?! (?:to|into|back|from|between|along|automatically|every|hourly|daily|live|in real time)\b)/u,
    "changes data",
    true,
  ],
  [/^(?:sends|uploads|posts|publishes|transfers|emails|forwards)\b/u, "sends data out", false],
  [
    /^(?:executes|runs)\b(?! (?:a |an |the )?(?:[\w-]+ ){0,6}(?:read-only|select|search|searches|query|queries|reports?|analys[ie]s|calculations?|aggregations?|lookups?|scans?|audits?|health checks?|diagnostics)\b)/u,
    "runs commands",
    false,
  ],
  [/^(?:installs|uninstalls)\b/u, "installs software", false],
  [/^(?:kills|terminates|shuts down)\b/u, "stops processes", true],
  // Stopping a search or a job loses nothing: not destructive, though not read-only either.
  // "Stops after `limit` entries": when the tool's own capture ends, not an act.
  [
    /^stops\b(?! (?:after|when|once|at|on|if|before|reading|listening|capturing|collecting)\b)/u,
    "stops processes",
    false,
  ],
  [/^(?:purchases|pays|buys|charges)\b/u, "spends money", false],
];

const SUBJECT =
  /^(?:(?:this tool|the tool|it|this)\s+(?:also\s+|then\s+|will\s+)?|also\s+|then\s+)?/u;
// A sentence saying what the tool refuses to do says it does not do it.
const REFUSED =
  /\b(?:refused|rejected|blocked|not allowed|forbidden|prohibited|denied|disallowed)\b/u;
const NEGATED = /\b(?:not|never|no|without|cannot|won't|doesn't|don't|isn't|nor)\b/u;

function firstNameWord(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[\s_.:/-]+/)[0] ?? "";
}

/** What the description says the tool itself does that changes things, e.g. `deletes data`. */
function actionsOf(description: string, destructiveOnly: boolean): string[] {
  const found = new Set<string>();
  const sentences = description
    .toLowerCase()
    // "(e.g. `curl … | sh` downloads a script and runs it)": an example, not what the tool does.
    .replace(/\([^()]*\)/gu, " ")
    .split(/(?<=[.!?;])\s+|\n+/u)
    .filter((s) => !REFUSED.test(s));
  const parts = sentences.flatMap((s) =>
    s.split(/,\s*(?:and\s+|then\s+)?|\s+and\s+(?:then\s+)?|\s+then\s+/u).map((p) => p.trim()),
  );
  for (const part of parts) {
    const rest = part.replace(SUBJECT, "");
    // "… such as item updates, deletions": a verb form alone in a list names events, not an act.
    if (!/\s/u.test(rest)) continue;
    // "… prorated credits and charges created": a noun and its participle, not an act.
    if (/^\p{L}+s \p{L}+ed(?:,|$| (?:along|by|during|for|in|on|so far|to date)\b)/u.test(rest))
      continue;
    if (NEGATED.test(part.slice(0, part.length - rest.length))) continue;
    for (const [re, what, destructive] of ACTIONS)
      if ((!destructiveOnly || destructive) && re.test(rest)) found.add(what);
  }
  return [...found];
}

// A tool that chooses among several operations by a parameter ("action": "list" | "remove" | …)
// is named for one of them: its name says nothing of the others. Its annotations still bind it.
const OPERATION_PARAM = /^(?:action|operation|op|mode|command|cmd|method|verb|task|subcommand)$/iu;
function choosesOperation(tool: ToolDefinition): boolean {
  const properties = tool.inputSchema?.properties;
  if (typeof properties !== "object" || properties === null) return false;
  return Object.entries(properties as Record<string, unknown>).some(
    ([name, schema]) =>
      OPERATION_PARAM.test(name) &&
      typeof schema === "object" &&
      schema !== null &&
      Array.isArray((schema as { enum?: unknown }).enum) &&
      (schema as { enum: unknown[] }).enum.length >= 2,
  );
}

export function contradictionIssues(tool: ToolDefinition): Issue[] {
  const description = tool.description ?? "";
  const issues: Issue[] = [];
  const readOnlyName = READ_ONLY_NAME.test(firstNameWord(tool.name)) && !choosesOperation(tool);
  const readOnlyHint = tool.annotations?.readOnlyHint === true;
  if (readOnlyName || readOnlyHint) {
    const actions = actionsOf(description, false);
    if (actions.length > 0)
      issues.push({
        kind: "contradiction",
        severity: "medium",
        detail: `${
          readOnlyHint
            ? "its annotations say it is read-only (readOnlyHint: true)"
            : `the name ${quote(tool.name, 60)} says it only reads`
        }, but the description says the tool ${actions.join(", ")}`,
      });
  }
  if (tool.annotations?.destructiveHint === false && !readOnlyHint) {
    const actions = actionsOf(description, true).filter(
      (a) => a === "deletes data" || a === "stops processes",
    );
    if (actions.length > 0)
      issues.push({
        kind: "contradiction",
        severity: "medium",
        detail: `its annotations say it is not destructive (destructiveHint: false), but the description says the tool ${actions.join(", ")}`,
      });
  }
  return issues;
}
