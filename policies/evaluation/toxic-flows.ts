import type { ControlFinding } from "./predicate.ts";
import type { ToolDefinition } from "./tool-pins.ts";
import { escapeText } from "./description-safety/text.ts";

/**
 * Cross-tool risk (control CD-04), the "toxic flow" of tool poisoning's sequel: a server whose
 * tools together read content an outsider wrote (web pages, emails, issues, messages), read the
 * user's private data (files, databases, repositories, mail, notes) and send data out (messages,
 * issues, uploads, posts) lets a prompt injected in that content make the model carry the private
 * data out, with no poisoned description at all. Each tool's role comes from what its name and the
 * first sentence of its description say it does; the finding names the tools of each role.
 */

export type FlowRole = "untrusted-source" | "private-data" | "sink";

// A tool's own action: the verb its name starts with, or its description's first verb.
const READS =
  /^(?:get|list|read|fetch|search|find|query|scrape|crawl|browse|view|show|open|download|retrieve|look ?up|describe|extract|map)\b/u;
const SENDS =
  /^(?:send|post|publish|upload|push|share|email|mail|forward|reply|tweet|create|add|comment|invite|notify|submit|write|update)\b/u;

const OUTSIDER_CONTENT =
  /\b(?:web ?pages?|urls?|websites?|internet|the web|web search|html|emails?|inbox|mail|messages?|issues?|comments?|pull requests?|prs?|discussions?|tweets?|posts?|channels?|threads?|reviews?|tickets?)\b/u;
const PRIVATE_DATA =
  /\b(?:files?|director(?:y|ies)|file ?system|databases?|sql|tables?|rows?|repositor(?:y|ies)|repos?|source code|private|emails?|inbox|calendar|events?|contacts?|documents?|notes|memor(?:y|ies)|knowledge graph|secrets?|credentials|drive|spreadsheets?|records?)\b/u;
const OUTWARD =
  /\b(?:messages?|emails?|mail|issues?|comments?|pull requests?|prs?|posts?|tweets?|gists?|webhooks?|channels?|uploads?|files? to|releases?|pages?|invites?|notifications?)\b/u;

function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/gu, "$1 $2")
    .replace(/[_\-.:/]+/gu, " ")
    .toLowerCase()
    .trim();
}

/** What `tool` does in a flow, from its name and the first sentence of its description. */
export function flowRoles(tool: ToolDefinition): FlowRole[] {
  const name = words(tool.name);
  const first = (tool.description ?? "").split(/(?<=[.!?])\s|\n/u)[0]?.toLowerCase() ?? "";
  // "Gets…", "Sends…": the description's own verb, in its base form.
  const verb = first.replace(/^(?:this tool |the tool )?/u, "").replace(/^(\w+?)(?:es|s)\b/u, "$1");
  const action = (re: RegExp) => re.test(name) || re.test(verb);
  const about = `${name} ${first}`;
  const roles: FlowRole[] = [];
  const readOnly = tool.annotations?.readOnlyHint === true;
  if (action(READS) || readOnly) {
    if (OUTSIDER_CONTENT.test(about)) roles.push("untrusted-source");
    if (PRIVATE_DATA.test(about)) roles.push("private-data");
  }
  if (!readOnly && action(SENDS) && OUTWARD.test(about)) roles.push("sink");
  return roles;
}

const named = (tools: string[]): string =>
  tools
    .slice(0, 5)
    .map((t) => `"${escapeText(t, 60)}"`)
    .join(", ") + (tools.length > 5 ? ` and ${tools.length - 5} more` : "");

/**
 * CD-04 findings for one server's tools: one finding when the server has a source of untrusted
 * content, access to private data and an exfiltration sink, located at `location`.
 */
export function checkToxicFlows(
  tools: readonly ToolDefinition[],
  location = "tools/list",
): ControlFinding[] {
  const byRole: Record<FlowRole, string[]> = {
    "untrusted-source": [],
    "private-data": [],
    sink: [],
  };
  for (const tool of tools) for (const role of flowRoles(tool)) byRole[role].push(tool.name);
  const { "untrusted-source": sources, "private-data": data, sink } = byRole;
  if (sources.length === 0 || data.length === 0 || sink.length === 0) return [];
  return [
    {
      message: `the tools combine a source of untrusted content (${named(sources)}), access to private data (${named(data)}) and a way to send data out (${named(sink)}): instructions planted in that content can make the model send the private data out`,
      severity: "medium",
      location,
    },
  ];
}
