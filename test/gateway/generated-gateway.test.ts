/**
 * The gateway as `mcp-warden generate --gateway-image` deploys it: the real `mcp-warden gateway`
 * process started with the generated Deployment's arguments (only the addresses and files a pod
 * would have are replaced by loopback ones), in front of the bridge wrapping the published stdio
 * server-everything, held to an evaluation signed in a real registry, its policy and grants read
 * from a real kube-apiserver, and called by an agent with a ServiceAccount token the API server
 * issued (TokenRequest) and reviews (TokenReview).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { parse } from "yaml";
import { apiRequest } from "../../cluster/api.ts";
import { startBridge, type RunningBridge } from "../../gateway/bridge/bridge.ts";
import { listUpstream } from "../../gateway/upstream.ts";
import { generateKubernetesManifests } from "../../policies/deployment/kubernetes-manifests.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { pinTools, readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { issueServingCert, makeTestCA } from "../e2e/support/certs.ts";
import {
  k8sBinDir,
  SKIP_NO_BINARIES,
  startCluster,
  type TestCluster,
} from "../e2e/support/cluster.ts";
import { BIN, ROOT } from "../support/cli.ts";
import { validPredicate } from "../support/evaluation.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushImage } from "../support/supply-chain.ts";
import { fetchTrusting, freePort } from "./support.ts";

const NS = "mcp-servers";
const GATEWAY_IMAGE = `ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:${"b".repeat(64)}`;

/** The value after `flag` in `args`, replaced. */
function replaceFlag(args: string[], flag: string, value: string): void {
  const i = args.indexOf(flag);
  assert.ok(i >= 0 && i + 1 < args.length, `the generated arguments carry ${flag}`);
  args[i + 1] = value;
}

async function eventually<T>(fn: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe(
  "the generated gateway, run as deployed, in front of a bridged stdio server",
  {
    skip: !k8sBinDir() ? SKIP_NO_BINARIES : SKIP_NO_REGISTRY,
    timeout: 300_000,
  },
  () => {
    let cluster: TestCluster;
    let registry: RegistryServer;
    let bridge: RunningBridge;
    let gateway: ChildProcess | undefined;
    let gatewayLog = "";
    let dir: string;
    let base: string;
    let audience: string;
    let trusting: typeof fetch;

    const create = (path: string, body: unknown) =>
      apiRequest(cluster.kubeConfig(), path, { method: "POST", body });

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-generated-gateway-"));
      const everything = await installNpmServer(NPM_SERVERS.everything);
      [cluster, registry] = await Promise.all([startCluster(), startRegistry()]);
      const env = Object.fromEntries(
        Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
      );
      bridge = await startBridge({
        command: process.execPath,
        args: [everything],
        env,
        host: "127.0.0.1",
        port: 0,
        maxSessions: 4,
        bodyLimit: 1024 * 1024,
        idleTimeoutMs: 60_000,
        log: () => undefined,
        stderr: () => undefined,
      });

      // The evaluation: the server's listing through the bridge, pinned; the agent by its
      // ServiceAccount.
      const listing = await listUpstream(new URL(bridge.url));
      const { tools } = readToolDefinitions(listing.tools, "tools");
      const fixture = validPredicate();
      const permissions = {
        egress: [],
        filesystem: [],
        credentials: [],
        ingress: {
          agents: [
            {
              name: "planner",
              namespace: "agents",
              serviceAccount: "planner",
              labels: { app: "planner" },
            },
          ],
        },
      };
      const predicate = parsePredicate({
        ...fixture,
        time: new Date(Date.now() - 60_000).toISOString(),
        server: { ...fixture.server, name: "io.github.modelcontextprotocol/everything" },
        vulnerabilities: [],
        controls: fixture.controls.map((c) => ({ ...c, waived: undefined })),
        permissions,
        tools: pinTools(tools),
        prompts: undefined,
        resourceTemplates: undefined,
        instructions: undefined,
      });
      const client = new RegistryClient();
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const repo = `${registry.host}/mcp/everything`;
      const pushed = await pushImage(client, repo, "everything", `generated-${Date.now()}`);
      const image = `${repo}@${pushed.manifest.digest}`;
      await signImage(client, image, keySigner(key.privateKey), new Date());
      await attestEvaluation(client, image, predicate, keySigner(key.privateKey), new Date());

      // What generate writes for it.
      const { objects } = generateKubernetesManifests({
        image,
        serverName: "io.github.modelcontextprotocol/everything",
        version: "1.0.0",
        permissions,
        namespace: NS,
        gateway: {
          image: GATEWAY_IMAGE,
          run: { transport: "stdio", entrypoint: [process.execPath], cmd: [everything] },
        },
      });
      const generated = objects as unknown as {
        kind: string;
        metadata: { name: string; namespace?: string };
        spec: Record<string, unknown>;
      }[];
      const deployment = generated.find(
        (o) => o.kind === "Deployment" && o.metadata.name === "everything-gateway",
      ) as unknown as {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      };
      const args = [...deployment.spec.template.spec.containers[0]!.args];

      // The cluster: namespaces, the agent's ServiceAccount, the CRDs, the policy the generated
      // arguments name (--policy-name default) and the generated grant, granting echo.
      for (const name of ["agents", NS, "mcp-warden-system"])
        await create("/api/v1/namespaces", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name },
        });
      await create("/api/v1/namespaces/agents/serviceaccounts", {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "planner" },
      });
      for (const file of ["deploy/crds/mcpwardenpolicies.yaml", "deploy/crds/mcpwardenaccess.yaml"])
        for (const crd of readFileSync(join(ROOT, file), "utf8")
          .split(/^---$/m)
          .map((d) => parse(d) as unknown)
          .filter((d) => d !== null))
          await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
      const policyName = args[args.indexOf("--policy-name") + 1]!;
      await eventually(() =>
        create("/apis/mcp-warden.dev/v1alpha1/mcpwardenpolicies", {
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenPolicy",
          metadata: { name: policyName },
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
          },
        }),
      );
      const access = generated.find((o) => o.kind === "MCPWardenAccess")!;
      await eventually(() =>
        create(
          `/apis/mcp-warden.dev/v1alpha1/namespaces/${access.metadata.namespace}/mcpwardenaccesses`,
          { ...access, spec: { ...access.spec, tools: ["echo"] } },
        ),
      );

      // The generated command line, with what a pod has replaced by what this machine has.
      const ca = await makeTestCA();
      const serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
      await writeFile(join(dir, "tls.crt"), serving.cert);
      await writeFile(join(dir, "tls.key"), serving.key);
      trusting = fetchTrusting(ca.cert);
      const port = await freePort();
      replaceFlag(args, "--upstream", bridge.url);
      replaceFlag(args, "--tls-cert", join(dir, "tls.crt"));
      replaceFlag(args, "--tls-key", join(dir, "tls.key"));
      replaceFlag(args, "--port", String(port));
      audience = args[args.indexOf("--audience") + 1]!;
      assert.equal(args[args.indexOf("--server-image") + 1], image);
      args.push(
        ...["--host", "127.0.0.1", "--kubeconfig", cluster.kubeconfigPath],
        ...["--tuf-cache", dir],
      );
      assert.equal(args[0], "gateway");
      gateway = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        // The Downward API's variables, as the generated Deployment sets them.
        env: { ...env, POD_NAMESPACE: NS, POD_NAME: "everything-gateway-0" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      gateway.stdout?.on("data", (b: Buffer) => (gatewayLog += b.toString()));
      gateway.stderr?.on("data", (b: Buffer) => (gatewayLog += b.toString()));
      base = `https://127.0.0.1:${port}`;
      await eventually(async () => {
        assert.equal(gateway?.exitCode, null, `the gateway exited: ${gatewayLog}`);
        const r = await trusting(`${base}/readyz`);
        assert.equal(r.status, 200, gatewayLog);
      }, 60_000).catch((err: unknown) => {
        throw new Error(`the gateway did not get ready: ${String(err)}\n${gatewayLog}`);
      });
    });

    after(async () => {
      if (gateway && gateway.exitCode === null) {
        const exited = new Promise((r) => gateway!.once("exit", r));
        gateway.kill("SIGTERM");
        await exited;
      }
      await bridge?.close();
      await registry?.stop();
      await cluster?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function connect(token: string): Promise<Client> {
      const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: trusting,
      });
      const client = new Client({ name: "generated-gateway-test", version: "1" });
      await client.connect(transport);
      return client;
    }

    test("an agent's ServiceAccount token for the generated audience calls a granted tool through gateway, bridge and stdio server", async () => {
      const answer = (await create("/api/v1/namespaces/agents/serviceaccounts/planner/token", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences: [audience], expirationSeconds: 600 },
      })) as { status: { token: string } };
      const planner = await connect(answer.status.token);
      const { tools } = await planner.listTools();
      assert.deepEqual(
        tools.map((t) => t.name),
        ["echo"],
      );
      const result = await planner.callTool({ name: "echo", arguments: { message: "hello" } });
      assert.deepEqual(result.content, [{ type: "text", text: "Echo: hello" }]);
      await planner.close();
    });

    test("a token for another audience is refused", async () => {
      const answer = (await create("/api/v1/namespaces/agents/serviceaccounts/planner/token", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences: ["https://elsewhere.example"], expirationSeconds: 600 },
      })) as { status: { token: string } };
      const r = await trusting(`${base}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${answer.status.token}`,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      });
      assert.equal(r.status, 401);
    });
  },
);
