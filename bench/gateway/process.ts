// One gateway for bench/gateway.ts in its own process, as in its own pod: real TLS, OIDC bearer
// authentication against the bench's loopback issuer, a grant, the pinned schema check, the
// gateway's JSON log into a file, and (when configured) its audit trail through openAuditTrail.
// Configured by MCP_WARDEN_BENCH_GATEWAY (JSON); tells its port over IPC; stops on SIGTERM.
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { buildApp, DEFAULT_GATEWAY_OPTIONS } from "../../gateway/app.ts";
import { auditObserver, openAuditTrail, type AuditSinkConfig } from "../../gateway/audit/open.ts";
import { NO_OBSERVER } from "../../gateway/call-observer.ts";
import { HeldServer } from "../../gateway/held.ts";
import { createAuthenticator, discoverIssuer } from "../../gateway/identity.ts";
import { bufferedLogger } from "../../cli/log.ts";
import { createGatewayMetrics } from "../../gateway/metrics.ts";
import { listUpstream } from "../../gateway/upstream.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { pinTools, readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";
import type { AuditSpec } from "../../policies/audit/settings.ts";
import { parseAccess } from "../../policies/runtime/access.ts";
import { validPredicate } from "../../test/support/evaluation.ts";

export interface BenchGatewayConfig {
  upstream: string;
  issuer: string;
  certFile: string;
  keyFile: string;
  logFile: string;
  audit?: { keyFile: string; bufferDir: string; sink: AuditSinkConfig; spec?: AuditSpec };
  /** The tools the grant gives the agent (default get-sum). */
  tools?: string[];
  /** The port to listen on (default any): a restarted gateway takes its predecessor's. */
  port?: number;
}

const config = JSON.parse(process.env.MCP_WARDEN_BENCH_GATEWAY ?? "") as BenchGatewayConfig;
const upstream = new URL(config.upstream);
const listing = await listUpstream(upstream);
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
      agents: [{ name: "bench", subjects: [{ issuer: config.issuer, subject: "bench" }] }],
    },
  },
  tools: pinTools(tools),
  prompts: undefined,
  resourceTemplates: undefined,
  instructions: undefined,
});
const logger = bufferedLogger("info", "mcp-warden-gateway", config.logFile);
const metrics = createGatewayMetrics();
const held = new HeldServer(predicate, { server: "everything", metrics, logger });
held.update(listing);
const grant = parseAccess({
  apiVersion: "mcp-warden.dev/v1alpha1",
  kind: "MCPWardenAccess",
  metadata: { name: "bench", namespace: "mcp-warden-system" },
  spec: {
    server: { namespace: "mcp", name: "everything" },
    agents: ["bench"],
    tools: config.tools ?? ["get-sum"],
    reason: "bench",
  },
});
const trail = config.audit
  ? await openAuditTrail({
      ...config.audit,
      namespace: "mcp",
      pod: "bench",
      audit: config.audit.spec ?? { retention: "1d" },
      registry: metrics.registry,
    })
  : undefined;
const app = buildApp(
  {
    ...DEFAULT_GATEWAY_OPTIONS,
    allowedOrigins: [],
    resource: "https://127.0.0.1/mcp",
    authorizationServers: [config.issuer],
    rateLimit: undefined,
    server: {
      name: "everything",
      version: "bench",
      imageDigest: `sha256:${"0".repeat(64)}`,
      pod: "bench",
      namespace: "mcp",
      deployment: "everything",
    },
  },
  {
    upstream,
    authenticate: createAuthenticator({
      audience: "gateway-test",
      serviceAccounts: { kind: "none" },
      oidc: [await discoverIssuer(config.issuer, ["gateway-test"])],
      clockSkewSeconds: 5,
      now: () => Date.now(),
    }),
    held,
    agents: predicate.permissions?.ingress.agents ?? [],
    grants: () => [grant],
    adminNamespaces: ["mcp-warden-system"],
    observer: trail ? auditObserver(trail) : NO_OBSERVER,
    metrics,
    logger,
    now: () => new Date(),
    onListChanged: () => undefined,
    grantsReady: () => true,
    https: { key: await readFile(config.keyFile), cert: await readFile(config.certFile) },
  },
);
await app.listen({ port: config.port ?? 0, host: "127.0.0.1" });
process.once("SIGTERM", () => {
  void (async () => {
    await app.close();
    await trail?.close();
    logger.flush();
    // A normal exit, so --cpu-prof writes its profile.
    process.exit(0);
  })();
});
// The memory it holds, asked for by a soak: RSS alone also moves as V8 grows and shrinks its heap.
process.on("message", (m) => {
  if (m === "memory") process.send?.({ memory: process.memoryUsage() });
});
process.send?.({ port: (app.server.address() as AddressInfo).port });
