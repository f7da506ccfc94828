/**
 * The 2026-07-28 era through the gateway: a server written with @modelcontextprotocol/server 2.4.0
 * (createMcpHandler, stateless, Mcp-Method/Mcp-Name headers) and the 2.4.0 client pinned to
 * 2026-07-28. No registry here: the gateway's app is built over an evaluation predicate directly,
 * as startGateway does after verification (proxy.test.ts covers that path).
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { FastifyInstance } from "fastify";
import { KeepingObserver, modernGateway, type ModernGateway, type OidcIssuer } from "./support.ts";

describe("the 2026-07-28 era through the gateway", { timeout: 60_000 }, () => {
  let gateway: ModernGateway;
  let authorizations: (string | undefined)[];
  let oidc: OidcIssuer;
  let app: FastifyInstance;
  let base: string;
  const observer = new KeepingObserver();

  before(async () => {
    gateway = await modernGateway(observer);
    ({ app, oidc, authorizations } = gateway);
    await app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await gateway?.close();
  });

  async function connect(subject: string): Promise<Client> {
    const token = await oidc.token({ sub: subject });
    const client = new Client(
      { name: "modern-test", version: "1" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  }

  test("a granted agent calls a pinned tool on the modern era; the agent's token never reaches the server", async () => {
    const carol = await connect("carol");
    assert.equal(carol.getProtocolEra(), "modern");
    assert.deepEqual(
      (await carol.listTools()).tools.map((t) => t.name),
      ["sum"],
    );
    const result = await carol.callTool({ name: "sum", arguments: { a: 2, b: 3 } });
    assert.deepEqual(result.content, [{ type: "text", text: "5" }]);
    assert.ok(authorizations.length > 0);
    assert.deepEqual(new Set(authorizations), new Set([undefined]));
    const denied = await carol.callTool({ name: "secret", arguments: {} }).then(
      () => undefined,
      (err: { code?: number }) => err.code,
    );
    assert.equal(denied, -32003);
    const invalid = await carol.callTool({ name: "sum", arguments: { a: "2", b: 3 } }).then(
      () => undefined,
      (err: { code?: number }) => err.code,
    );
    assert.equal(invalid, -32602);
    await carol.close();
  });

  test("Mcp-Method and Mcp-Name must agree with the body", async () => {
    const token = await oidc.token({ sub: "carol" });
    const body = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "sum",
        arguments: { a: 1, b: 1 },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    };
    const send = (headers: Record<string, string>) =>
      fetch(`${base}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${token}`,
          "mcp-protocol-version": "2026-07-28",
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const cases: [Record<string, string>, number][] = [
      [{}, 400], // both headers are required on 2026-07-28
      [{ "mcp-method": "tools/call" }, 400], // Mcp-Name missing
      [{ "mcp-method": "tools/list", "mcp-name": "sum" }, 400],
      [{ "mcp-method": "tools/call", "mcp-name": "secret" }, 400],
      [{ "mcp-method": "tools/call", "mcp-name": "=?base64?c3Vt?=" }, 200],
      [{ "mcp-method": "tools/call", "mcp-name": "sum" }, 200],
    ];
    for (const [headers, status] of cases) {
      const res = await send(headers);
      const answer = (await res.json()) as { error?: { code: number } };
      assert.equal(res.status, status, JSON.stringify(headers));
      if (status === 400) assert.equal(answer.error?.code, -32020, JSON.stringify(headers));
      else assert.equal(answer.error, undefined, JSON.stringify(answer));
    }
  });

  /** POSTs `body` as carol, with the headers a 2026-07-28 client sends and then `headers`. */
  async function post(body: string | Buffer, headers: Record<string, string> = {}) {
    const token = await oidc.token({ sub: "carol" });
    return fetch(`${base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
        "mcp-protocol-version": "2026-07-28",
        ...headers,
      },
      body,
    });
  }

  /** Asserts that `body` is refused with `code` and never reaches the server. */
  async function assertRefused(
    body: string | Buffer,
    headers: Record<string, string>,
    code: number,
  ) {
    const before = authorizations.length;
    const res = await post(body, headers);
    const answer = (await res.json()) as { error?: { code: number } };
    const what = body.toString();
    assert.equal(res.status, 400, what);
    assert.equal(answer.error?.code, code, what);
    assert.equal(authorizations.length, before, `${what} reached the server`);
  }

  test("a call without an id (a JSON-RPC notification) or with an id no answer can match is refused before the server", async () => {
    const secret = { method: "tools/call", params: { name: "secret", arguments: {} } };
    const list = { method: "tools/list" };
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [secret, { "mcp-method": "tools/call", "mcp-name": "secret" }],
      [secret, {}],
      [{ ...list, id: [1] }, { "mcp-method": "tools/list" }],
      [{ ...list, id: { a: 1 } }, {}],
      [{ ...list, id: 1.5 }, {}],
      [{ ...list, id: true }, {}],
    ];
    for (const [message, headers] of cases)
      await assertRefused(JSON.stringify({ jsonrpc: "2.0", ...message }), headers, -32600);
  });

  test("a key given twice, or bytes that are not UTF-8, are refused before the server: a server reading them otherwise would run what was not judged", async () => {
    const sum = { "mcp-method": "tools/call", "mcp-name": "sum" };
    for (const body of [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret","name":"sum","arguments":{"a":1,"b":2}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sum","arguments":{"a":"x","a":1,"b":2}}}',
      '{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"sum","arguments":{"a":1,"b":2}}}',
    ])
      await assertRefused(body, sum, -32600);
    // Bytes that are not UTF-8 would be judged as U+FFFD and reach the server as they came.
    const notUtf8 = Buffer.concat([
      Buffer.from(
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sum","arguments":{"a":1,"b":2,"c":"',
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}}'),
    ]);
    await assertRefused(notUtf8, sum, -32700);
    // The same call, well formed, goes through: only the repetition and the bytes are refused.
    const plain = await post(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sum","arguments":{"a":1,"b":2},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}',
      sum,
    );
    assert.equal(plain.status, 200, await plain.clone().text());
  });
});
