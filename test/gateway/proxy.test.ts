/**
 * mcp-warden gateway in front of the published server-everything (Streamable HTTP, 2025 era),
 * held to an evaluation signed and attached in a real registry, agents authenticated by a real
 * OIDC issuer on loopback, called with the SDK 1.x client over TLS.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { pino } from "pino";
import { stringify } from "yaml";
import { evidenceFor, registryClientFor } from "../../cli/registry-access.ts";
import { startGateway, type RunningGateway } from "../../gateway/server.ts";
import { listUpstream } from "../../gateway/upstream.ts";
import { pinTools, readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { loadPolicyFile } from "../../cli/load-policy.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { makeTestCA, issueServingCert } from "../e2e/support/certs.ts";
import { validPredicate } from "../support/evaluation.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushImage } from "../support/supply-chain.ts";
import {
  fetchTrusting,
  KeepingObserver,
  startEverything,
  startOidcIssuer,
  type OidcIssuer,
  type RunningServer,
} from "./support.ts";

const NOT_PERMITTED = { code: -32003, message: "not permitted" };

describe(
  "mcp-warden gateway in front of server-everything",
  { skip: SKIP_NO_REGISTRY, timeout: 240_000 },
  () => {
    let registry: RegistryServer;
    let server: RunningServer;
    let oidc: OidcIssuer;
    let gateway: RunningGateway;
    let dir: string;
    let base: string;
    let trusting: typeof fetch;
    const observer = new KeepingObserver();

    before(async () => {
      [registry, server, oidc] = await Promise.all([
        startRegistry(),
        startEverything(),
        startOidcIssuer(),
      ]);
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-gateway-"));
      // What the server lists now is what the evaluation pinned, but for two tools: get-env is
      // left out (not in the evaluation), get-tiny-image pinned with another description (changed).
      const listing = await listUpstream(server.url);
      const { tools } = readToolDefinitions(listing.tools, "tools");
      const pinned = tools
        .filter((t) => t.name !== "get-env")
        .map((t) =>
          t.name === "get-tiny-image" ? { ...t, description: "Returns a tiny image" } : t,
        );
      const fixture = validPredicate();
      const predicate = parsePredicate({
        ...fixture,
        time: new Date(Date.now() - 60_000).toISOString(),
        server: { ...fixture.server, name: "io.github.modelcontextprotocol/server-everything" },
        vulnerabilities: [],
        controls: fixture.controls.map((c) => ({ ...c, waived: undefined })),
        permissions: {
          egress: [],
          filesystem: [],
          credentials: [],
          ingress: {
            agents: [
              { name: "triage", subjects: [{ issuer: oidc.issuer, subject: "alice" }] },
              { name: "sales", subjects: [{ issuer: oidc.issuer, subject: "bob" }] },
              { name: "bulk", subjects: [{ issuer: oidc.issuer, subject: "dave" }] },
            ],
          },
        },
        tools: pinTools(pinned),
        prompts: undefined,
        resourceTemplates: undefined,
        instructions: undefined,
      });
      const client = new RegistryClient();
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const repo = `${registry.host}/mcp/everything`;
      const pushed = await pushImage(client, repo, "everything", `gateway-${Date.now()}`);
      const image = `${repo}@${pushed.manifest.digest}`;
      await signImage(client, image, keySigner(key.privateKey), new Date());
      await attestEvaluation(client, image, predicate, keySigner(key.privateKey), new Date());
      const policyFile = join(dir, "policy.yaml");
      await writeFile(
        policyFile,
        stringify({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenPolicy",
          metadata: { name: "gateway-test" },
          spec: {
            images: {
              trustedSigners: [
                {
                  key: {
                    publicKey: key.publicKey.export({ type: "spki", format: "pem" }).toString(),
                  },
                },
              ],
              evaluation: { minTrustLevel: "L1", maxAge: "720h" },
            },
            exceptions: { namespaces: ["mcp-warden-system"] },
            runtime: { rateLimit: { requestsPerSecond: 20, burst: 100 } },
          },
        }),
      );
      const accessFile = join(dir, "access.yaml");
      const grant = (name: string, namespace: string, agents: string[], tools: string[]) => ({
        apiVersion: "mcp-warden.dev/v1alpha1",
        kind: "MCPWardenAccess",
        metadata: { name, namespace },
        spec: { server: { namespace: "mcp", name: "everything" }, agents, tools, reason: "test" },
      });
      await writeFile(
        accessFile,
        [
          grant(
            "triage",
            "mcp-warden-system",
            ["triage"],
            ["echo", "get-sum", "trigger-long-running-operation", "get-env", "get-tiny-image"],
          ),
          grant("sales", "mcp-warden-system", ["sales", "bulk"], ["get-sum"]),
          // A grant outside the admin namespaces grants nothing.
          grant("self-granted", "mcp", ["sales"], ["*"]),
        ]
          .map((g) => stringify(g))
          .join("---\n"),
      );
      const ca = await makeTestCA();
      const serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
      await writeFile(join(dir, "tls.crt"), serving.cert);
      await writeFile(join(dir, "tls.key"), serving.key);
      trusting = fetchTrusting(ca.cert);
      const access = {
        registryConfig: undefined,
        trustedRoot: { file: undefined, tufMirror: undefined, tufRoot: undefined, tufCache: dir },
        insecureRegistries: [],
        timeoutMs: 10_000,
      };
      const { provide } = await evidenceFor(access);
      const { client: registryClient, trustedRoot } = await registryClientFor(access);
      gateway = await startGateway(
        {
          upstream: server.url,
          tlsCert: join(dir, "tls.crt"),
          tlsKey: join(dir, "tls.key"),
          port: 0,
          host: "127.0.0.1",
          metricsPort: 0,
          serverImage: image,
          audience: "gateway-test",
          serviceAccounts: { kind: "none" },
          oidc: [{ issuer: oidc.issuer, audiences: ["gateway-test"] }],
          clockSkewSeconds: 5,
          allowedOrigins: ["https://console.example"],
          bodyLimit: 65_536,
          requestIdHeader: "x-request-id",
          resource: undefined,
          policy: await loadPolicyFile(policyFile),
          access: { file: accessFile },
          kubeConfig: undefined,
          server: { namespace: "mcp", deployment: "everything", pod: "everything-gw-0" },
          registry: { provide, client: registryClient, trustedRoot, timeoutMs: 10_000 },
          observer,
        },
        pino({ level: "silent" }),
      );
      base = `https://127.0.0.1:${gateway.port}`;
    });

    after(async () => {
      await gateway?.close();
      await server?.stop();
      await oidc?.close();
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function connect(subject: string): Promise<Client> {
      const token = await oidc.token({ sub: subject });
      const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: trusting,
      });
      const client = new Client({ name: "gateway-test", version: "1" });
      await client.connect(transport);
      return client;
    }

    async function callError(client: Client, name: string, args: Record<string, unknown>) {
      try {
        const result = await client.callTool({ name, arguments: args });
        return { result };
      } catch (err) {
        const e = err as { code?: number; message?: string };
        return { code: e.code, message: e.message };
      }
    }

    async function post(body: string, headers: Record<string, string> = {}, subject = "alice") {
      const token = await oidc.token({ sub: subject });
      return trusting(`${base}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${token}`,
          ...headers,
        },
        body,
      });
    }

    test("a granted agent lists only its approved tools and calls them", async () => {
      const alice = await connect("alice");
      const { tools } = await alice.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), [
        "echo",
        "get-sum",
        "trigger-long-running-operation",
      ]);
      const result = await alice.callTool({ name: "echo", arguments: { message: "hello" } });
      assert.deepEqual(result.content, [{ type: "text", text: "Echo: hello" }]);
      const record = observer.records.find((r) => r.tool === "echo" && r.decision.allowed);
      assert.ok(record, "the allowed call was recorded");
      assert.deepEqual(record.agent, { issuer: oidc.issuer, subject: "alice" });
      assert.equal(record.declaredAgent, "triage");
      assert.equal(
        (JSON.parse(new TextDecoder().decode(record.input)) as { arguments: { message: string } })
          .arguments.message,
        "hello",
      );
      assert.equal(record.output.isError, false);
      await alice.close();
    });

    test("not permitted is one answer: not granted, not in the evaluation, changed, nonexistent, undeclared", async () => {
      const alice = await connect("alice");
      const bob = await connect("bob");
      const mallory = await connect("mallory");
      const answers = [
        await callError(bob, "echo", { message: "x" }), // granted to triage only
        await callError(alice, "get-env", {}), // not in the evaluation
        await callError(alice, "get-tiny-image", {}), // definition changed since the evaluation
        await callError(alice, "does-not-exist", {}),
        await callError(mallory, "get-sum", { a: 1, b: 2 }), // no declared agent
      ];
      for (const a of answers)
        assert.deepEqual(a, {
          code: NOT_PERMITTED.code,
          message: `MCP error ${NOT_PERMITTED.code}: ${NOT_PERMITTED.message}`,
        });
      // The self-granted access in the server's namespace gave bob nothing beyond get-sum.
      assert.deepEqual(
        (await bob.listTools()).tools.map((t) => t.name),
        ["get-sum"],
      );
      assert.deepEqual((await mallory.listTools()).tools, []);
      const metrics = await (await fetch(`http://127.0.0.1:${gateway.metricsPort}/metrics`)).text();
      assert.match(
        metrics,
        /mcp_warden_gateway_definition_drift_total\{[^}]*tool="get-tiny-image",reason="definition-changed"\} [1-9]/,
      );
      assert.match(
        metrics,
        /mcp_warden_gateway_definition_drift_total\{[^}]*tool="get-env",reason="not-in-evaluation"\} [1-9]/,
      );
      assert.match(
        metrics,
        /mcp_warden_gateway_calls_total\{[^}]*decision="denied",agent="unknown"\} [1-9]/,
      );
      assert.doesNotMatch(metrics, /agent="mallory"/);
      await Promise.all([alice.close(), bob.close(), mallory.close()]);
    });

    test("arguments outside the pinned inputSchema are refused with -32602 before the server sees them", async () => {
      const alice = await connect("alice");
      const before = observer.intents.length;
      const a = await callError(alice, "get-sum", { a: "one", b: 2 });
      assert.equal(a.code, -32602);
      assert.equal(observer.intents.length, before, "nothing was forwarded");
      const ok = await alice.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
      assert.match(JSON.stringify(ok.content), /3/);
      await alice.close();
    });

    test("tokens: none, wrong audience, expired and forged get 401 with the protected-resource metadata", async () => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
      const cases = {
        none: undefined,
        audience: await oidc.token({ sub: "alice", aud: "someone-else" }),
        expired: await oidc.token({ sub: "alice" }, Math.floor(Date.now() / 1000) - 120),
        forged: await oidc.forged({ sub: "alice" }),
      };
      for (const [name, token] of Object.entries(cases)) {
        const res = await trusting(`${base}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body,
        });
        assert.equal(res.status, 401, name);
        assert.match(
          res.headers.get("www-authenticate") ?? "",
          /^Bearer resource_metadata="https:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource"/,
          name,
        );
      }
      const meta = (await (
        await trusting(`${base}/.well-known/oauth-protected-resource`)
      ).json()) as Record<string, unknown>;
      assert.deepEqual(meta.authorization_servers, [oidc.issuer]);
      assert.equal(meta.resource, `https://127.0.0.1:${gateway.port}/mcp`);
    });

    test("a long-running tool's progress streams through before its result", async () => {
      const alice = await connect("alice");
      const progress: number[] = [];
      let resultSeen = false;
      const result = await alice.callTool(
        { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 4 } },
        undefined,
        {
          onprogress: (p) => {
            assert.equal(resultSeen, false, "progress arrives before the result");
            progress.push(p.progress);
          },
        },
      );
      resultSeen = true;
      assert.deepEqual(progress, [1, 2, 3, 4]);
      assert.match(JSON.stringify(result.content), /Long running operation completed/);
      await alice.close();
    });

    test("a client that disconnects mid-stream leaves a record and the gateway serving", async () => {
      const alice = await connect("alice");
      const token = await oidc.token({ sub: "alice" });
      const controller = new AbortController();
      const before = observer.records.length;
      // A stateless request needs the session of an initialised client: reuse the SDK's.
      const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId!;
      const res = await trusting(`${base}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${token}`,
          "mcp-session-id": sessionId,
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 99,
          method: "tools/call",
          params: {
            name: "trigger-long-running-operation",
            arguments: { duration: 5, steps: 5 },
            _meta: { progressToken: 7 },
          },
        }),
        signal: controller.signal,
      });
      const reader: ReadableStreamDefaultReader<Uint8Array> = res.body!.getReader();
      let seen = "";
      while (!seen.includes("notifications/progress")) {
        const { done, value } = await reader.read();
        assert.equal(done, false, "the stream ended before any progress");
        seen += new TextDecoder().decode(value);
      }
      controller.abort();
      for (let i = 0; i < 100 && observer.records.length === before; i++)
        await new Promise((r) => setTimeout(r, 50));
      const record = observer.records
        .slice(before)
        .find((r) => r.tool === "trigger-long-running-operation");
      assert.ok(record, "the interrupted call was recorded");
      assert.equal(record.output.isError, true);
      const ok = await alice.callTool({ name: "echo", arguments: { message: "still here" } });
      assert.deepEqual(ok.content, [{ type: "text", text: "Echo: still here" }]);
      await alice.close();
    });

    test("batches, bad origins, bodies over the limit and headers that disagree with the body are refused", async () => {
      const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
      const batch = await post(JSON.stringify([ping, { ...ping, id: 2 }]));
      assert.equal(batch.status, 400);
      assert.equal(((await batch.json()) as { error: { code: number } }).error.code, -32600);
      const origin = await post(JSON.stringify(ping), { origin: "https://evil.example" });
      assert.equal(origin.status, 403);
      const allowedOrigin = await post(JSON.stringify(ping), { origin: "https://console.example" });
      assert.notEqual(allowedOrigin.status, 403);
      const big = await post(JSON.stringify({ ...ping, params: { pad: "x".repeat(70_000) } }));
      assert.equal(big.status, 413);
      const call = {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "x" } },
      };
      const method = await post(JSON.stringify(call), { "mcp-method": "tools/list" });
      assert.equal(method.status, 400);
      assert.equal(((await method.json()) as { error: { code: number } }).error.code, -32020);
      const name = await post(JSON.stringify(call), {
        "mcp-method": "tools/call",
        "mcp-name": "get-env",
      });
      assert.equal(((await name.json()) as { error: { code: number } }).error.code, -32020);
      const encoded = await post(JSON.stringify(call), {
        "mcp-method": "tools/call",
        "mcp-name": `=?base64?${Buffer.from("get-env").toString("base64")}?=`,
      });
      assert.equal(((await encoded.json()) as { error: { code: number } }).error.code, -32020);
    });

    test("the GET stream and DELETE pass through with the session, authenticated like POST", async () => {
      const alice = await connect("alice");
      const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId!;
      const token = await oidc.token({ sub: "alice" });
      const headers = {
        authorization: `Bearer ${token}`,
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-11-25",
      };
      const unauthenticated = await trusting(`${base}/mcp`, {
        headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
      });
      assert.equal(unauthenticated.status, 401);
      const controller = new AbortController();
      const stream = await trusting(`${base}/mcp`, {
        headers: { ...headers, accept: "text/event-stream" },
        signal: controller.signal,
      });
      // The SDK client holds the session's GET stream already; a second one is the server's to refuse or serve.
      assert.ok([200, 409].includes(stream.status), String(stream.status));
      if (stream.status === 200)
        assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
      controller.abort();
      const deleted = await trusting(`${base}/mcp`, { method: "DELETE", headers });
      assert.equal(deleted.status, 200);
      await deleted.body?.cancel();
      // The session is gone at the server: the next call in it is refused there.
      const after = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), {
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-11-25",
      });
      // server-everything answers an unknown session with 400 (the specification says 404).
      assert.ok([400, 404].includes(after.status), String(after.status));
      await alice.close().catch(() => undefined);
    });

    test("each caller is held to the policy's rate limit", async () => {
      const token = await oidc.token({ sub: "dave" });
      const statuses: number[] = [];
      for (let i = 0; i < 250; i++) {
        const res = await trusting(`${base}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "ping" }),
        });
        await res.body?.cancel();
        statuses.push(res.status);
        if (res.status === 429) {
          assert.ok(Number(res.headers.get("retry-after")) >= 1);
          break;
        }
      }
      assert.equal(statuses.at(-1), 429);
      // Another caller is not affected.
      assert.notEqual(
        (await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), {}, "bob")).status,
        429,
      );
    });

    test("a failing audit observer fails the call closed", async () => {
      const alice = await connect("alice");
      observer.failRecords = true;
      try {
        const a = await callError(alice, "echo", { message: "unrecorded" });
        assert.equal(a.code, -32603);
      } finally {
        observer.failRecords = false;
      }
      await alice.close();
    });

    test("a server that dies mid-call: the call fails and leaves a record, later calls get 502", async () => {
      const alice = await connect("alice");
      const before = observer.records.length;
      const pending = callError(alice, "trigger-long-running-operation", { duration: 5, steps: 5 });
      await new Promise((r) => setTimeout(r, 500));
      await server.stop();
      const outcome = await Promise.race([
        pending,
        new Promise((r) => setTimeout(() => r("hung"), 15_000)),
      ]);
      assert.notEqual(outcome, "hung");
      assert.equal((outcome as { result?: unknown }).result, undefined);
      for (let i = 0; i < 100 && observer.records.length === before; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(
        observer.records.slice(before).find((r) => r.tool === "trigger-long-running-operation")
          ?.output.isError,
        true,
      );
      const res = await post(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "ping" }));
      assert.equal(res.status, 502);
      await alice.close().catch(() => undefined);
    });
  },
);
