/** Header/body agreement (2026-07-28), SSE events, and the policy's rate-limit key. */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { checkHeaders, decodeHeaderValue } from "../../gateway/protocol.ts";
import { formatEvent, parseEvent, sseTransform } from "../../gateway/sse.ts";
import { InputError } from "../../policies/errors.ts";
import { compilePolicy } from "../../policies/workload/policy.ts";
import { assertThrowsWithCode } from "../support/throws.ts";

const MODERN = { "mcp-protocol-version": "2026-07-28" };
const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "sum" } };

test("Mcp-Method and Mcp-Name: required on 2026-07-28 requests, and must agree with the body in any era", () => {
  const cases: [Record<string, unknown>, Record<string, string>, boolean][] = [
    [call, {}, true], // 2025 era: the headers are optional
    [call, MODERN, false],
    [call, { ...MODERN, "mcp-method": "tools/call" }, false],
    [call, { ...MODERN, "mcp-method": "tools/call", "mcp-name": "sum" }, true],
    [call, { ...MODERN, "mcp-method": " tools/call ", "mcp-name": " sum " }, true],
    [call, { "mcp-method": "tools/list" }, false],
    [call, { "mcp-name": "other" }, false],
    [call, { "mcp-name": "=?base64?c3Vt?=" }, true],
    [call, { "mcp-name": "=?base64?c3V!?=" }, false],
    [
      { ...call, method: "resources/read", params: { uri: "file:///a" } },
      { ...MODERN, "mcp-method": "resources/read", "mcp-name": "file:///a" },
      true,
    ],
    [
      { ...call, method: "resources/read", params: { uri: "file:///a" } },
      { ...MODERN, "mcp-method": "resources/read", "mcp-name": "file:///b" },
      false,
    ],
    // The era may be claimed in the body's envelope alone.
    [
      {
        ...call,
        params: { name: "sum", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
      },
      {},
      false,
    ],
    // Notifications need no Mcp-Method, but one that is sent must agree.
    [{ jsonrpc: "2.0", method: "notifications/initialized" }, MODERN, true],
    [{ jsonrpc: "2.0", method: "notifications/initialized" }, { "mcp-method": "ping" }, false],
    [
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      { ...MODERN, "mcp-method": "tools/list" },
      true,
    ],
  ];
  for (const [message, headers, agrees] of cases)
    assert.equal(
      checkHeaders(message, (n) => headers[n]) === undefined,
      agrees,
      JSON.stringify([message, headers]),
    );
  assert.equal(decodeHeaderValue("=?base64?w6k=?="), "é");
  assert.equal(decodeHeaderValue("=?base64?/w==?="), undefined); // not UTF-8
});

test("SSE: events are parsed as the specification says and rewritten one at a time", async () => {
  assert.deepEqual(parseEvent('event: message\nid: 7\ndata: {"a":\ndata: 1}\n: comment'), {
    event: "message",
    id: "7",
    data: '{"a":\n1}',
  });
  assert.deepEqual(parseEvent(formatEvent({ id: "1", data: "x\ny" })), { id: "1", data: "x\ny" });
  const input =
    'id: 1\ndata: \n\nid: 2\r\ndata: {"id":1,"result":{"n":1}}\r\n\r\n: ping\n\nid: 3\ndata: {"method":"x"}\n\n';
  const seen: unknown[] = [];
  const out = Readable.from([Buffer.from(input.slice(0, 17)), Buffer.from(input.slice(17))]).pipe(
    sseTransform(
      (m) => {
        seen.push(m);
        return Promise.resolve((m as { id?: number }).id === 1 ? { id: 1, result: { n: 2 } } : m);
      },
      1024,
      () => ({ id: 9, error: { code: -32603 } }),
    ),
  );
  let text = "";
  for await (const chunk of out) text += String(chunk);
  assert.deepEqual(seen, [{ id: 1, result: { n: 1 } }, { method: "x" }]);
  const events = text
    .split("\n\n")
    .filter((e) => e !== "")
    .map(parseEvent);
  assert.deepEqual(events, [
    { id: "1", data: "" },
    { id: "2", data: '{"id":1,"result":{"n":2}}' },
    {},
    { id: "3", data: '{"method":"x"}' },
    { event: "message", data: '{"id":9,"error":{"code":-32603}}' },
  ]);
  // An event longer than the bound fails the stream instead of growing without end.
  const long = Readable.from([Buffer.from(`data: ${"x".repeat(2048)}`)]).pipe(
    sseTransform((m) => Promise.resolve(m), 1024),
  );
  await assert.rejects(async () => {
    for await (const _ of long) void _;
  }, /longer than 1024/);
});

test("the policy's spec.runtime.rateLimit is read, and bad values are refused naming the field", () => {
  const policy = (runtime: unknown) => ({
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenPolicy",
    metadata: { name: "p" },
    spec: { runtime },
  });
  assert.deepEqual(
    compilePolicy(policy({ rateLimit: { requestsPerSecond: 2.5, burst: 10 } })).document.spec
      .runtime,
    {
      rateLimit: { requestsPerSecond: 2.5, burst: 10 },
    },
  );
  const e = assertThrowsWithCode(
    () => compilePolicy(policy({ rateLimit: { requestsPerSecond: 0, burst: 0.5 } })),
    "POLICY_INVALID",
    InputError,
  );
  const paths = e.problems.map((p) => p.path);
  assert.ok(paths.includes("spec.runtime.rateLimit.requestsPerSecond"), paths.join(", "));
  assert.ok(paths.includes("spec.runtime.rateLimit.burst"), paths.join(", "));
});
