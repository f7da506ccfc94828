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
import { pino } from "pino";
import { buildApp, DEFAULT_GATEWAY_OPTIONS } from "../../gateway/app.ts";
import { HeldServer } from "../../gateway/held.ts";
import { createAuthenticator, discoverIssuer } from "../../gateway/identity.ts";
import { createGatewayMetrics } from "../../gateway/metrics.ts";
import { listUpstream } from "../../gateway/upstream.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { pinTools, readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";
import { parseAccess } from "../../policies/runtime/access.ts";
import { validPredicate } from "../support/evaluation.ts";
import { KeepingObserver, startModernServer, startOidcIssuer, type OidcIssuer } from "./support.ts";

describe("the 2026-07-28 era through the gateway", { timeout: 60_000 }, () => {
  const authorizations: (string | undefined)[] = [];
  let server: { url: URL; close(): Promise<void> };
  let oidc: OidcIssuer;
  let app: FastifyInstance;
  let base: string;
  const observer = new KeepingObserver();

  before(async () => {
    [server, oidc] = await Promise.all([startModernServer(authorizations), startOidcIssuer()]);
    const listing = await listUpstream(server.url);
    const { tools } = readToolDefinitions(listing.tools, "tools");
    const fixture = validPredicate();
    const predicate = parsePredicate({
      ...fixture,
      vulnerabilities: [],
      controls: fixture.controls.map((c) => ({ ...c, waived: undefined })),
      permissions: {
        egress: [],
        filesystem: [],
        credentials: [],
        ingress: {
          agents: [{ name: "calc", subjects: [{ issuer: oidc.issuer, subject: "carol" }] }],
        },
      },
      tools: pinTools(tools.filter((t) => t.name === "sum")),
      prompts: undefined,
      resourceTemplates: undefined,
      instructions: undefined,
    });
    const logger = pino({ level: "silent" });
    const metrics = createGatewayMetrics();
    const held = new HeldServer(predicate, { server: "modern-sum", metrics, logger });
    held.update(listing);
    const grant = parseAccess({
      apiVersion: "mcp-warden.dev/v1alpha1",
      kind: "MCPWardenAccess",
      metadata: { name: "calc", namespace: "mcp-warden-system" },
      spec: {
        server: { namespace: "mcp", name: "modern" },
        agents: ["calc"],
        tools: ["*"],
        reason: "test",
      },
    });
    app = buildApp(
      {
        ...DEFAULT_GATEWAY_OPTIONS,
        allowedOrigins: [],
        resource: "http://127.0.0.1/mcp",
        authorizationServers: [oidc.issuer],
        rateLimit: undefined,
        server: {
          name: "modern-sum",
          version: "1.0.0",
          imageDigest: "sha256:" + "0".repeat(64),
          pod: "modern-gw",
          namespace: "mcp",
          deployment: "modern",
        },
      },
      {
        upstream: server.url,
        authenticate: createAuthenticator({
          audience: "gateway-test",
          serviceAccounts: { kind: "none" },
          oidc: [await discoverIssuer(oidc.issuer, ["gateway-test"])],
          clockSkewSeconds: 5,
          now: () => Date.now(),
        }),
        held,
        agents: predicate.permissions?.ingress.agents ?? [],
        grants: () => [grant],
        adminNamespaces: ["mcp-warden-system"],
        observer,
        metrics,
        logger,
        now: () => new Date(),
        onListChanged: () => undefined,
        grantsReady: () => true,
      },
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
    await server?.close();
    await oidc?.close();
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

  test("a call without an id (a JSON-RPC notification) or with an id no answer can match is refused before the server", async () => {
    const token = await oidc.token({ sub: "carol" });
    const send = (message: Record<string, unknown>, headers: Record<string, string>) =>
      fetch(`${base}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${token}`,
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: "2.0", ...message }),
      });
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
    for (const [message, headers] of cases) {
      const before = authorizations.length;
      const res = await send(message, headers);
      const answer = (await res.json()) as { error?: { code: number } };
      assert.equal(res.status, 400, JSON.stringify(message));
      assert.equal(answer.error?.code, -32600, JSON.stringify(message));
      assert.equal(authorizations.length, before, `${JSON.stringify(message)} reached the server`);
    }
  });

  test("a key given twice, or bytes that are not UTF-8, are refused before the server: a server reading them otherwise would run what was not judged", async () => {
    const token = await oidc.token({ sub: "carol" });
    const bodies = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret","name":"sum","arguments":{"a":1,"b":2}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sum","arguments":{"a":"x","a":1,"b":2}}}',
      '{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"sum","arguments":{"a":1,"b":2}}}',
    ];
    for (const body of bodies) {
      const before = authorizations.length;
      const res = await fetch(`${base}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${token}`,
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": "sum",
        },
        body,
      });
      const answer = (await res.json()) as { error?: { code: number } };
      assert.equal(res.status, 400, body);
      assert.equal(answer.error?.code, -32600, body);
      assert.equal(authorizations.length, before, `${body} reached the server`);
    }
    // Bytes that are not UTF-8 would be judged as U+FFFD and reach the server as they came.
    const notUtf8 = Buffer.concat([
      Buffer.from(
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sum","arguments":{"a":1,"b":2,"c":"',
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}}'),
    ]);
    const before = authorizations.length;
    const refused = await fetch(`${base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "sum",
      },
      body: notUtf8,
    });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error?: { code: number } }).error?.code, -32700);
    assert.equal(authorizations.length, before, "bytes that are not UTF-8 reached the server");
    // The same call without the repeated key goes through: only the repetition is refused.
    const plain = await fetch(`${base}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "sum",
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sum","arguments":{"a":1,"b":2},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}',
    });
    assert.equal(plain.status, 200, await plain.clone().text());
  });
});
