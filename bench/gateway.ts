// npm run bench:gateway — tools/call through mcp-warden gateway against the same server called
// directly, side by side in one run: the published server-everything over Streamable HTTP, the
// gateway on real TLS with OIDC bearer authentication (a loopback issuer), grants, the pinned
// schema check and JSON logging to a file on. Latency at a fixed rate (BENCH_RATE calls/s on each
// path, interleaved), then throughput with BENCH_CONCURRENCY calls in flight for BENCH_MS on each.
// The audit trail's cost beside it: the same gateway with its audit trail on (an intent and a
// result record per call, each durable before the call goes on), into a directory sink and, when
// scripts/build-minio.sh has built MinIO, into S3 with Object Lock.
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { Agent, fetch as undiciFetch } from "undici";
import { buildApp, DEFAULT_GATEWAY_OPTIONS } from "../gateway/app.ts";
import { auditObserver } from "../gateway/audit/open.ts";
import { DirectorySink } from "../gateway/audit/directory-sink.ts";
import { S3Sink } from "../gateway/audit/s3-sink.ts";
import type { AuditSink } from "../gateway/audit/sink.ts";
import { AuditTrail } from "../gateway/audit/trail.ts";
import { NO_OBSERVER, type CallObserver } from "../gateway/call-observer.ts";
import { randomBytes } from "node:crypto";
import { keyPairFromSeed, parseSigner } from "../policies/audit/note.ts";
import { compileAuditSettings } from "../policies/audit/settings.ts";
import { SKIP_NO_MINIO, startMinio } from "../test/support/minio.ts";
import { HeldServer } from "../gateway/held.ts";
import { createAuthenticator, discoverIssuer } from "../gateway/identity.ts";
import { createGatewayMetrics } from "../gateway/metrics.ts";
import { listUpstream } from "../gateway/upstream.ts";
import { parsePredicate } from "../policies/evaluation/predicate.ts";
import { pinTools, readToolDefinitions } from "../policies/evaluation/tool-pins.ts";
import { parseAccess } from "../policies/runtime/access.ts";
import { issueServingCert, makeTestCA } from "../test/e2e/support/certs.ts";
import { validPredicate } from "../test/support/evaluation.ts";
import { startEverything, startOidcIssuer } from "../test/gateway/support.ts";
import { printBenchResult } from "./result.ts";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const THROUGHPUT_MS = Number(process.env.BENCH_MS ?? 3000);
const DEADLINE_MS = 120_000;

const dir = await mkdtemp(join(tmpdir(), "mcp-warden-bench-gateway-"));
const server = await startEverything();
const oidc = await startOidcIssuer();
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
    ingress: { agents: [{ name: "bench", subjects: [{ issuer: oidc.issuer, subject: "bench" }] }] },
  },
  tools: pinTools(tools),
  prompts: undefined,
  resourceTemplates: undefined,
  instructions: undefined,
});
const logger = pino(
  { level: "info" },
  pino.destination({ dest: join(dir, "gateway.log"), sync: false }),
);
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
    tools: ["get-sum"],
    reason: "bench",
  },
});
const ca = await makeTestCA();
const cert = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
/** A gateway on its own port with `observer` (the audit trail, or nothing). */
async function startApp(observer: CallObserver) {
  const app = buildApp(
    {
      ...DEFAULT_GATEWAY_OPTIONS,
      allowedOrigins: [],
      resource: "https://127.0.0.1/mcp",
      authorizationServers: [oidc.issuer],
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
      https: { key: Buffer.from(cert.key), cert: Buffer.from(cert.cert) },
    },
  );
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url: `https://127.0.0.1:${(app.server.address() as AddressInfo).port}/mcp` };
}

const signer = parseSigner(keyPairFromSeed("bench.gateway/audit", randomBytes(32)).signer);
async function trailOn(name: string, sink: AuditSink): Promise<AuditTrail> {
  return await AuditTrail.open({
    origin: `mcp-warden/bench/${name}`,
    signer,
    sink,
    bufferDir: join(dir, `buffer-${name}`),
    settings: compileAuditSettings({ retention: "1d" }),
    stdout: () => undefined,
  });
}
const trails: AuditTrail[] = [await trailOn("dir", new DirectorySink(join(dir, "sink")))];
const minio = SKIP_NO_MINIO ? undefined : await startMinio();
if (minio) {
  await minio.lockedBucket("bench-audit");
  trails.push(
    await trailOn(
      "s3",
      new S3Sink({
        client: minio.client,
        bucket: "bench-audit",
        prefix: "bench/",
        retentionDays: 1,
      }),
    ),
  );
} else console.error(`audit into S3 not measured: ${SKIP_NO_MINIO}`);
const apps = [
  { name: "gateway", ...(await startApp(NO_OBSERVER)) },
  { name: "+audit", ...(await startApp(auditObserver(trails[0]!))) },
  ...(trails[1] ? [{ name: "+audit-s3", ...(await startApp(auditObserver(trails[1]))) }] : []),
];

const token = await oidc.token({ sub: "bench" }, "1h");
const dispatcher = new Agent({ connect: { ca: ca.cert }, connections: 64 });

interface Path {
  name: string;
  url: string;
  headers: Record<string, string>;
}

async function open(url: string, extra: Record<string, string>): Promise<Path["headers"]> {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...extra,
  };
  const res = await undiciFetch(url, {
    method: "POST",
    headers,
    dispatcher,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      },
    }),
  });
  await res.text();
  const session = res.headers.get("mcp-session-id");
  if (!session) throw new Error(`no session from ${url}`);
  const out = { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
  await (
    await undiciFetch(url, {
      method: "POST",
      headers: out,
      dispatcher,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    })
  ).text();
  return out;
}

const paths: Path[] = [
  { name: "direct", url: server.url.href, headers: await open(server.url.href, {}) },
];
for (const a of apps)
  paths.push({
    name: a.name,
    url: a.url,
    headers: await open(a.url, { authorization: `Bearer ${token}` }),
  });

let nextId = 1;
/** One tools/call; its latency in ms, or undefined when it was lost (error, or no result). */
async function call(p: Path): Promise<number | undefined> {
  const started = performance.now();
  try {
    const res = await undiciFetch(p.url, {
      method: "POST",
      headers: p.headers,
      dispatcher,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: nextId++,
        method: "tools/call",
        params: { name: "get-sum", arguments: { a: 1, b: 2 } },
      }),
    });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('"result"')) return undefined;
    return performance.now() - started;
  } catch {
    return undefined;
  }
}

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

// Warm both paths (JIT, connections, compiled schema).
for (let i = 0; i < 200; i++) await Promise.all(paths.map(call));

const latencies = new Map<string, number[]>(paths.map((p) => [p.name, []]));
const lost = new Map<string, number>(paths.map((p) => [p.name, 0]));
const pending: Promise<void>[] = [];
const interval = 1000 / RATE;
const start = performance.now();
for (let i = 0; i < CALLS && performance.now() - start < DEADLINE_MS; i++) {
  const due = start + i * interval;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  // Alternate which path goes first, so neither always gets the head start.
  for (const p of i % 2 === 0 ? paths : [...paths].reverse()) {
    pending.push(
      call(p).then((ms) => {
        if (ms === undefined) lost.set(p.name, lost.get(p.name)! + 1);
        else latencies.get(p.name)!.push(ms);
      }),
    );
  }
}
await Promise.all(pending);

const throughput = new Map<string, number>();
for (const p of paths) {
  let done = 0;
  const until = performance.now() + THROUGHPUT_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) if ((await call(p)) !== undefined) done++;
    }),
  );
  throughput.set(p.name, (done * 1000) / THROUGHPUT_MS);
}

const d = latencies.get("direct")!;
const g = latencies.get("gateway")!;
const row = (name: string, xs: number[]) =>
  `${name.padEnd(9)} p50 ${percentile(xs, 0.5).toFixed(2)} ms  p99 ${percentile(xs, 0.99).toFixed(2)} ms  calls ${xs.length}  lost ${lost.get(name)}  throughput ${throughput.get(name)!.toFixed(0)} calls/s`;
console.log(
  `tools/call get-sum at ${RATE} calls/s on each path, ${CALLS} calls each (Node ${process.version})`,
);
for (const p of paths) console.log(row(p.name, latencies.get(p.name)!));
console.log(
  `added    p50 ${(percentile(g, 0.5) - percentile(d, 0.5)).toFixed(2)} ms  p99 ${(percentile(g, 0.99) - percentile(d, 0.99)).toFixed(2)} ms  throughput ratio ${(throughput.get("gateway")! / throughput.get("direct")!).toFixed(2)}`,
);
// The audit trail's cost over the gateway without it: two records (intent, result) per call.
for (const a of apps.slice(1)) {
  const xs = latencies.get(a.name)!;
  console.log(
    `audit (${a.name === "+audit" ? "directory sink" : "S3 sink"}) added p50 ${(percentile(xs, 0.5) - percentile(g, 0.5)).toFixed(2)} ms  p99 ${(percentile(xs, 0.99) - percentile(g, 0.99)).toFixed(2)} ms over the gateway  records ${(2 * throughput.get(a.name)!).toFixed(0)}/s at ${CONCURRENCY} in flight`,
  );
}

printBenchResult("gateway", [
  {
    name: "tools/call p50 through the gateway",
    value: percentile(g, 0.5),
    unit: "ms",
    baseline: { name: "direct", value: percentile(d, 0.5) },
  },
  {
    name: "tools/call p99 through the gateway",
    value: percentile(g, 0.99),
    unit: "ms",
    baseline: { name: "direct", value: percentile(d, 0.99) },
  },
  {
    name: "throughput through the gateway",
    value: throughput.get("gateway")!,
    unit: "calls/s",
    baseline: { name: "direct", value: throughput.get("direct")! },
  },
  ...apps.slice(1).map((a) => ({
    name: `throughput, audit ${a.name === "+audit" ? "directory sink" : "S3 sink"}`,
    value: throughput.get(a.name)!,
    unit: "calls/s",
    baseline: { name: "gateway without audit", value: throughput.get("gateway")! },
  })),
]);
for (const a of apps) await a.app.close();
for (const t of trails) await t.close();
await minio?.stop();
await dispatcher.close();
await server.stop();
await oidc.close();
logger.flush();
await rm(dir, { recursive: true, force: true });
