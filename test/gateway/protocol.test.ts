/** Header/body agreement (2026-07-28), SSE events, and the policy's rate-limit key. */
import assert from "node:assert/strict";
import { PassThrough, Readable, Writable } from "node:stream";
import { test } from "node:test";
import { checkHeaders, decodeHeaderValue } from "../../gateway/protocol.ts";
import { formatEvent, parseEvent, relaySse } from "../../gateway/sse.ts";
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
  const relayed = await relay(
    Readable.from([Buffer.from(input.slice(0, 17)), Buffer.from(input.slice(17))]),
    (m) => {
      seen.push(m);
      // The answer is awaited (as a record is); other messages are judged at once.
      return (m as { id?: number }).id === 1 ? Promise.resolve({ id: 1, result: { n: 2 } }) : m;
    },
    () => ({ id: 9, error: { code: -32603 } }),
  );
  assert.deepEqual(seen, [{ id: 1, result: { n: 1 } }, { method: "x" }]);
  assert.deepEqual(relayed.broken, []);
  assert.deepEqual(eventsOf(relayed.text), [
    { id: "1", data: "" },
    { id: "2", data: '{"id":1,"result":{"n":2}}' },
    {},
    { id: "3", data: '{"method":"x"}' },
    { event: "message", data: '{"id":9,"error":{"code":-32603}}' },
  ]);
  // A message replaced by undefined is dropped; an event left without its blank line at the end
  // is judged too.
  const dropped = await relay(
    Readable.from([Buffer.from('data: {"drop":true}\n\ndata: {"keep":true}')]),
    (m) => ((m as { drop?: boolean }).drop ? undefined : m),
  );
  assert.deepEqual(eventsOf(dropped.text), [{ data: '{"keep":true}' }]);
  // An event longer than the bound fails the relay instead of growing without end.
  const long = await relay(Readable.from([Buffer.from(`data: ${"x".repeat(2048)}`)]), (m) => m);
  assert.equal(long.destroyed, true);
  assert.match(long.broken.join(), /longer than 1024/);
  // A server that fails mid-stream: what came is relayed, then the missing answer, then the end.
  const failing = new PassThrough();
  const pending = relay(
    failing,
    (m) => m,
    () => ({ id: 2, error: { code: -32603 } }),
  );
  failing.write('data: {"method":"progress"}\n\n');
  failing.destroy(new Error("socket hang up"));
  const failed = await pending;
  assert.deepEqual(failed.broken, ["socket hang up"]);
  assert.deepEqual(eventsOf(failed.text), [
    { data: '{"method":"progress"}' },
    { event: "message", data: '{"id":2,"error":{"code":-32603}}' },
  ]);
});

function eventsOf(text: string) {
  return text
    .split("\n\n")
    .filter((e) => e !== "")
    .map(parseEvent);
}

/** Relays `source` into a sink that keeps what it is given; resolves once the relay is over. */
async function relay(
  source: Readable,
  onMessage: (m: unknown) => unknown,
  onEnd?: () => unknown,
): Promise<{ text: string; broken: string[]; destroyed: boolean }> {
  let text = "";
  const broken: string[] = [];
  // A small high-water mark: the relay must wait for the sink to drain, not overfill it.
  const sink = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      setImmediate(done);
    },
  });
  await new Promise<void>((resolve) =>
    relaySse(source, sink, {
      onMessage,
      maxEventBytes: 1024,
      ...(onEnd ? { onEnd } : {}),
      onBroken: (why) => broken.push(why),
      onDone: resolve,
    }),
  );
  return { text, broken, destroyed: sink.destroyed && !sink.writableFinished };
}

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
