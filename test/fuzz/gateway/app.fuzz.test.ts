/**
 * MCP messages through the gateway's app, mutated: in front of a real server written with
 * @modelcontextprotocol/server (one granted, approved tool `sum`, one unapproved tool `secret`),
 * an authenticated agent sends JSON-RPC requests, notifications and batches with wrong types,
 * odd names, deep nesting and headers that disagree with the body. Never a 5xx from the
 * gateway itself (a 502 says the server failed), `secret` is never reached and the agent's
 * token never is either.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { fuzz } from "../../support/fuzz.ts";
import { deeplyNestedText, hostileString, mutate, mutation } from "../../support/fuzz-json.ts";
import { modernGateway, type ModernGateway } from "../../gateway/support.ts";

let gateway: ModernGateway;
let app: FastifyInstance;
let token: string;

before(async () => {
  gateway = await modernGateway();
  app = gateway.app;
  await app.ready();
  token = await gateway.oidc.token({ sub: "carol" });
});

after(() => gateway?.close());

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};
const MESSAGES: Record<string, unknown>[] = [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "sum", arguments: { a: 1, b: 2 }, _meta: META },
  },
  {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "secret", arguments: {}, _meta: META },
  },
  { jsonrpc: "2.0", id: 3, method: "tools/list", params: { _meta: META } },
  { jsonrpc: "2.0", id: 4, method: "prompts/get", params: { name: "p", _meta: META } },
  {
    jsonrpc: "2.0",
    id: 5,
    method: "resources/read",
    params: { uri: "file:///etc/passwd", _meta: META },
  },
  { jsonrpc: "2.0", id: 6, method: "ping", params: { _meta: META } },
  { jsonrpc: "2.0", method: "notifications/initialized" },
];

/** The headers a 2026-07-28 client sends for `message`, sometimes left out or changed. */
function headersFor(message: unknown, variant: number, odd: string): Record<string, string> {
  const m = message as { method?: unknown; params?: { name?: unknown; uri?: unknown } } | null;
  const method = typeof m?.method === "string" ? m.method : "";
  const nameOrUri = m?.params?.name ?? m?.params?.uri;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${token}`,
    "mcp-protocol-version": "2026-07-28",
  };
  const safe = (v: string) => `=?base64?${Buffer.from(v).toString("base64")}?=`;
  if (variant % 4 !== 3 && method) headers["mcp-method"] = method;
  if (variant % 4 !== 2 && typeof nameOrUri === "string") headers["mcp-name"] = safe(nameOrUri);
  if (variant % 4 === 1) headers["mcp-name"] = safe(odd);
  if (variant % 8 === 5) delete headers["mcp-protocol-version"];
  return headers;
}

interface Reply {
  status: number;
  body: string;
}

async function post(payload: string, headers: Record<string, string>): Promise<Reply> {
  const res = await app.inject({ method: "POST", url: "/mcp", headers, payload });
  return { status: res.statusCode, body: res.body };
}

/** What every reply must be, whatever was sent. */
function assertSafe(reply: Reply): void {
  assert.ok(reply.status < 500 || reply.status === 502, `status ${reply.status}: ${reply.body}`);
  assert.ok(!reply.body.includes("leaked"), `the unapproved tool was reached: ${reply.body}`);
  assert.ok(
    gateway.authorizations.every((a) => a === undefined || !a.includes(token)),
    "the agent's token reached the server",
  );
}

test("mutated MCP messages: never a 5xx of the gateway's own, never the unapproved tool", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(
      fc.constantFrom(...MESSAGES),
      fc.array(mutation, { maxLength: 3 }),
      // Mostly the headers a client sends; sometimes missing or disagreeing.
      fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat() }),
      hostileString,
      fc.oneof(
        { weight: 5, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      async (message, mutations, variant, odd, batch) => {
        const damaged = mutate(message, mutations);
        const body = batch ? [damaged, MESSAGES[1]] : damaged;
        const reply = await post(JSON.stringify(body) ?? "null", headersFor(damaged, variant, odd));
        assertSafe(reply);
      },
    ),
    80,
  );
});

test("raw bodies: deep nesting, non-JSON, non-objects, huge arrays", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(
      fc.oneof(
        fc
          .tuple(fc.integer({ min: 1, max: 10_000 }), fc.boolean())
          .map(([d, a]) => deeplyNestedText(d, a)),
        fc.string({ unit: "binary", maxLength: 200 }),
        // A key given twice, the judged value last: the server must never see the first.
        fc
          .tuple(
            fc.constantFrom('"name"', '"arguments"', '"params"', '"method"'),
            fc.jsonValue({ maxDepth: 2 }),
          )
          .map(([key, value]) =>
            JSON.stringify(MESSAGES[0]).replace(
              `${key}:`,
              `${key}:${JSON.stringify(value)},${key}:`,
            ),
          ),
        fc.constantFrom(
          "",
          "null",
          "[]",
          "{}",
          "1",
          '"x"',
          "[[]]",
          '{"jsonrpc":"2.0"}',
          '{"__proto__":{"x":1}}',
        ),
        fc
          .integer({ min: 0, max: 50_000 })
          .map((n) => JSON.stringify(Array.from({ length: n }, () => MESSAGES[1]))),
      ),
      async (text) => {
        const reply = await post(text, headersFor(undefined, 3, ""));
        assertSafe(reply);
      },
    ),
    60,
  );
});
