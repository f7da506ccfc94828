import { test } from "node:test";
import assert from "node:assert/strict";
import { checkToxicFlows, flowRoles } from "../../../policies/evaluation/toxic-flows.ts";
import { realServers } from "../../support/description-corpus.ts";

const server = (name: string) => {
  const s = realServers().find((r) => r.server === name);
  assert.ok(s, name);
  return s.surface.tools;
};

test("the GitHub server combines issues (untrusted), private repositories and issue creation", () => {
  const findings = checkToxicFlows(server("server-github@2025.4.8"));
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.location, "tools/list");
  assert.equal(f?.severity, "medium");
  assert.match(f?.message ?? "", /source of untrusted content \(.*"get_issue"/);
  assert.match(f?.message ?? "", /private data \(.*"get_file_contents"/);
  assert.match(f?.message ?? "", /send data out \(.*"create_issue"/);
});

test("servers that lack one of the three roles have no toxic flow", () => {
  for (const name of [
    "server-filesystem@2025.7.1", // private data, no outside content, no sink
    "mcp-server-fetch@2026.10.24", // outside content only
    "server-slack@2025.4.25", // outside content and a sink, nothing private
    "server-memory@2026.8.31",
  ])
    assert.deepEqual(checkToxicFlows(server(name)), [], name);
});

test("roles come from what the tool itself does", () => {
  const tool = (name: string, description: string, readOnlyHint?: boolean) => ({
    name,
    description,
    inputSchema: { type: "object" },
    ...(readOnlyHint === undefined ? {} : { annotations: { readOnlyHint } }),
  });
  assert.deepEqual(flowRoles(tool("fetch_page", "Fetches a web page as markdown.")), [
    "untrusted-source",
  ]);
  assert.deepEqual(flowRoles(tool("read_file", "Reads a file from disk.")), ["private-data"]);
  assert.deepEqual(flowRoles(tool("send_email", "Sends an email to a recipient.")), ["sink"]);
  assert.deepEqual(flowRoles(tool("get_time", "Returns the current time.")), []);
  // A read-only tool sends nothing, whatever its name.
  assert.deepEqual(flowRoles(tool("post_preview", "Shows a post before it is sent.", true)), [
    "untrusted-source",
  ]);
});
