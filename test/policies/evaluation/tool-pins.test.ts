import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  canonicalSha256,
  changedFields,
  pinTool,
  pinTools,
  readToolDefinitions,
  type ToolDefinition,
} from "../../../policies/evaluation/tool-pins.ts";

const sha = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

test("pin vectors: SHA-256 of hand-canonicalised JSON (RFC 8785: sorted keys, no whitespace)", () => {
  const tool: ToolDefinition = {
    name: "read_file",
    description: "Read a file",
    inputSchema: { type: "object", required: ["path"], properties: { path: { type: "string" } } },
  };
  const canonicalInput =
    '{"properties":{"path":{"type":"string"}},"required":["path"],"type":"object"}';
  const canonicalTool = `{"description":"Read a file","inputSchema":${canonicalInput},"name":"read_file"}`;
  assert.deepEqual(pinTool(tool), {
    name: "read_file",
    description: "Read a file",
    inputSchemaSha256: sha(canonicalInput),
    sha256: sha(canonicalTool),
  });
  // Known value, so a change of canonicalisation is noticed.
  assert.equal(sha('{"type":"object"}'), canonicalSha256({ type: "object" }));
});

test("pin vectors: output schema, annotations, numbers and non-ASCII text as RFC 8785 writes them", () => {
  const tool: ToolDefinition = {
    name: "convert",
    description: "Température → °F",
    inputSchema: {
      type: "object",
      properties: { t: { type: "number", maximum: 1e21, minimum: -0.5 } },
    },
    outputSchema: { type: "object", properties: { f: { type: "number" } } },
    annotations: { readOnlyHint: true, title: "Convert" },
  };
  const input =
    '{"properties":{"t":{"maximum":1e+21,"minimum":-0.5,"type":"number"}},"type":"object"}';
  const output = '{"properties":{"f":{"type":"number"}},"type":"object"}';
  const whole = `{"annotations":{"readOnlyHint":true,"title":"Convert"},"description":"Température → °F","inputSchema":${input},"name":"convert","outputSchema":${output}}`;
  const pin = pinTool(tool);
  assert.equal(pin.inputSchemaSha256, sha(input));
  assert.equal(pin.outputSchemaSha256, sha(output));
  assert.equal(pin.sha256, sha(whole));
});

test("members a tool does not have are left out, not hashed as null", () => {
  const bare: ToolDefinition = { name: "ping", inputSchema: { type: "object" } };
  assert.deepEqual(pinTool(bare), {
    name: "ping",
    inputSchemaSha256: sha('{"type":"object"}'),
    sha256: sha('{"inputSchema":{"type":"object"},"name":"ping"}'),
  });
  // title is not part of the pin.
  assert.equal(pinTool({ ...bare, title: "Ping" }).sha256, pinTool(bare).sha256);
});

test("pins are stable under key reordering and change with any pinned text", () => {
  const fixture = JSON.parse(
    readFileSync(
      new URL("../../fixtures/mcp/server-filesystem@2025.7.1.tools.json", import.meta.url),
      "utf8",
    ),
  ) as unknown;
  const { tools, problems } = readToolDefinitions(fixture, "tools/list");
  assert.deepEqual(problems, []);
  const reverse = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reverse)
      : typeof v === "object" && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, reverse(x)]),
          )
        : v;
  const reordered = readToolDefinitions(reverse(fixture), "tools/list").tools;
  assert.deepEqual(pinTools(reordered), pinTools(tools));
  const first = tools[0]!;
  const changed = { ...first, description: `${first.description ?? ""} ` };
  assert.notEqual(pinTool(changed).sha256, pinTool(first).sha256);
  assert.equal(pinTool(changed).inputSchemaSha256, pinTool(first).inputSchemaSha256);
  assert.deepEqual(changedFields(first, changed), ["description"]);
  assert.deepEqual(changedFields(first, { ...first, annotations: { readOnlyHint: true } }), [
    "annotations",
  ]);
});

test("every recorded tool list reads and pins", () => {
  for (const name of [
    "server-everything@2026.8.31",
    "server-filesystem@2025.3.28",
    "server-filesystem@2025.7.1",
    "mcp-server-time@2026.10.19",
  ]) {
    const raw = JSON.parse(
      readFileSync(new URL(`../../fixtures/mcp/${name}.tools.json`, import.meta.url), "utf8"),
    ) as unknown;
    const { tools, problems } = readToolDefinitions(raw, "tools/list");
    assert.deepEqual(problems, [], name);
    for (const pin of pinTools(tools)) assert.match(pin.sha256, /^[a-f0-9]{64}$/);
  }
});

test("readToolDefinitions reports every bad tool and repeated names", () => {
  const { problems } = readToolDefinitions(
    [
      { name: "", inputSchema: { type: "object" } },
      { name: "a" },
      { name: "b", inputSchema: { type: "array" } },
      { name: "c", inputSchema: { type: "object" }, description: 3 },
    ],
    "tools/list",
  );
  assert.deepEqual(
    problems.map((p) => p.path),
    [
      "tools/list[0].name",
      "tools/list[1].inputSchema",
      "tools/list[2].inputSchema.type",
      "tools/list[3].description",
    ],
  );
  const dup = readToolDefinitions(
    [
      { name: "a", inputSchema: { type: "object" } },
      { name: "a", inputSchema: { type: "object" } },
    ],
    "tools/list",
  );
  assert.deepEqual(
    dup.problems.map((p) => p.path),
    ["tools/list[1].name"],
  );
});
