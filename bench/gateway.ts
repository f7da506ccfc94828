// npm run bench:gateway — tools/call through mcp-warden gateway against the same server called
// directly, side by side in one run. The published server-everything over Streamable HTTP answers
// over TLS to the bench (a preload gives its HTTP server a TLS twin in the same process) and over
// plain HTTP to the gateway, as the gateway reaches the server pod it fronts. Each gateway runs in
// its own process, as in its own pod (bench/gateway/process.ts): TLS, OIDC bearer authentication
// against a loopback issuer, a grant, the pinned schema check and its JSON log on; once with no
// audit trail, once with its trail into a directory sink and, when scripts/build-minio.sh has
// built MinIO, once into S3 with Object Lock (an intent and a result record per call, each
// durable before the call goes on).
// Latency: for each gateway, BENCH_CALLS calls at BENCH_RATE calls/s on each of the two paths
// (direct and through that gateway), interleaved half an interval apart, so both meet the same
// machine at the same moment. Throughput: BENCH_CONCURRENCY calls in flight for BENCH_MS on each
// path, one path at a time. BENCH_PROFILE=DIR writes each gateway's CPU profile there;
// BENCH_AUDIT=off measures the gateway without its audit trail only. A bare proxy (fastify over
// TLS and the gateway's upstream pool, deciding nothing; bench/gateway/bare-proxy.ts) is measured
// the same way first: the floor a proxy hop in Node sets under the gateway's figures.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent, fetch as undiciFetch } from "undici";
import type { AuditSinkConfig } from "../gateway/audit/open.ts";
import { keyPairFromSeed } from "../policies/audit/note.ts";
import { SKIP_NO_MINIO, startMinio } from "../test/support/minio.ts";
import { writeLoopbackTls } from "../test/e2e/support/certs.ts";
import {
  freePort,
  openSession,
  startEverything,
  startOidcIssuer,
} from "../test/gateway/support.ts";
import type { BenchGatewayConfig } from "./gateway/process.ts";
import { paced, percentile, type Measured } from "./paced.ts";
import { cpuSeconds } from "./proc.ts";
import { printBenchResult, type BenchFigure } from "./result.ts";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const THROUGHPUT_MS = Number(process.env.BENCH_MS ?? 3000);
const PROFILE = process.env.BENCH_PROFILE;
const AUDIT = process.env.BENCH_AUDIT !== "off";
const PHASE_DEADLINE_MS = 120_000;

const dir = await mkdtemp(join(tmpdir(), "mcp-warden-bench-gateway-"));
const { ca, certFile, keyFile } = await writeLoopbackTls(dir);

const tlsPort = await freePort();
const server = await startEverything({
  nodeArgs: ["--import", new URL("./gateway/everything-tls.ts", import.meta.url).pathname],
  env: {
    MCP_WARDEN_BENCH_TLS_PORT: String(tlsPort),
    MCP_WARDEN_BENCH_TLS_CERT: certFile,
    MCP_WARDEN_BENCH_TLS_KEY: keyFile,
  },
});
// The TLS twin listens right after the HTTP server; wait until it accepts, bounded.
for (let tries = 0; ; tries++) {
  const up = await new Promise<boolean>((resolve) => {
    const s = connect(tlsPort, "127.0.0.1", () => resolve(true)).on("error", () => resolve(false));
    s.on("connect", () => s.destroy());
  });
  if (up) break;
  if (tries > 100) throw new Error(`server-everything's TLS port ${tlsPort} never opened`);
  await new Promise((r) => setTimeout(r, 50));
}
const oidc = await startOidcIssuer();
const auditKeyFile = join(dir, "audit.key");
await writeFile(auditKeyFile, keyPairFromSeed("bench.gateway/audit", randomBytes(32)).signer);
const minio = SKIP_NO_MINIO || !AUDIT ? undefined : await startMinio();
if (minio) await minio.lockedBucket("bench-audit");
else if (AUDIT) console.error(`audit into S3 not measured: ${SKIP_NO_MINIO}`);

interface Gateway {
  name: string;
  url: string;
  child: ChildProcess;
}

/**
 * A gateway in its own process; `audit`: its trail's sink, or none. `module`: the process to run,
 * the gateway unless told (the bare proxy is the floor under it).
 */
async function startGateway(
  name: string,
  audit: AuditSinkConfig | undefined,
  module = "./gateway/process.ts",
): Promise<Gateway> {
  const config: BenchGatewayConfig = {
    upstream: server.url.href,
    issuer: oidc.issuer,
    certFile,
    keyFile,
    logFile: join(dir, `${name}.log`),
    ...(audit
      ? { audit: { keyFile: auditKeyFile, bufferDir: join(dir, `buffer-${name}`), sink: audit } }
      : {}),
  };
  const child = fork(new URL(module, import.meta.url).pathname, [], {
    execArgv: PROFILE
      ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [],
    env: {
      ...process.env,
      MCP_WARDEN_BENCH_GATEWAY: JSON.stringify(config),
      ...(minio ? minio.credentialsEnv : {}),
    },
    // The trail prints each record on stdout, as in the pod; here it goes nowhere.
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway ${name} did not start`)), 60_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve((m as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`gateway ${name} exited (${code})`)));
  });
  return { name, url: `https://127.0.0.1:${port}/mcp`, child };
}

async function stopGateway(g: Gateway): Promise<void> {
  if (g.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => g.child.once("exit", () => resolve()));
  g.child.kill("SIGTERM");
  await exited;
}

const gateways = [
  await startGateway("bare-proxy", undefined, "./gateway/bare-proxy.ts"),
  await startGateway("gateway", undefined),
  ...(AUDIT ? [await startGateway("+audit", { kind: "directory", dir: join(dir, "sink") })] : []),
  ...(AUDIT && minio
    ? [
        await startGateway("+audit-s3", {
          kind: "s3",
          bucket: "bench-audit",
          prefix: "bench/",
          endpoint: minio.endpoint,
          region: "us-east-1",
          forcePathStyle: true,
        }),
      ]
    : []),
];

const token = await oidc.token({ sub: "bench" }, "1h");
const dispatcher = new Agent({ connect: { ca: ca.cert }, connections: 64 });

interface Path {
  name: string;
  url: string;
  headers: Record<string, string>;
}

async function open(name: string, url: string, extra: Record<string, string>): Promise<Path> {
  return { name, url, headers: await openSession(url, dispatcher, extra) };
}

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

async function throughputOf(p: Path): Promise<{ perSecond: number; lost: number }> {
  let done = 0;
  let lost = 0;
  const until = performance.now() + THROUGHPUT_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until)
        if ((await call(p)) !== undefined) done++;
        else lost++;
    }),
  );
  return { perSecond: (done * 1000) / THROUGHPUT_MS, lost };
}

const direct = await open("direct", `https://127.0.0.1:${tlsPort}/mcp`, {});
const through = await Promise.all(
  gateways.map((g) => open(g.name, g.url, { authorization: `Bearer ${token}` })),
);
// Warm every path (JIT, connections, compiled schema).
for (let i = 0; i < 200; i++) await Promise.all([direct, ...through].map(call));

const fmt = (x: number) => x.toFixed(2);
const row = (name: string, m: Measured) =>
  `  ${name.padEnd(10)} p50 ${fmt(percentile(m.latencies, 0.5))} ms  p99 ${fmt(percentile(m.latencies, 0.99))} ms  calls ${m.latencies.length}  lost ${m.lost}`;
console.log(
  `tools/call get-sum, ${CALLS} calls at ${RATE} calls/s on each path, direct over TLS beside each gateway (Node ${process.version})`,
);
const figures: BenchFigure[] = [];
for (const [i, p] of through.entries()) {
  const pid = gateways[i]!.child.pid!;
  const cpuBefore = [cpuSeconds(pid), cpuSeconds(server.process.pid!)];
  const [d, g] = await paced(
    [direct, p].map((path) => () => call(path)),
    RATE,
    CALLS,
    PHASE_DEADLINE_MS,
  );
  // What one call costs the gateway, beside what one call (of either path) costs the server.
  const micros = (pid: number, before: number, calls: number) =>
    (((cpuSeconds(pid) - before) * 1e6) / calls).toFixed(0);
  const calls = g!.latencies.length + g!.lost;
  console.log(
    `${p.name} (CPU per call: gateway ${micros(pid, cpuBefore[0]!, calls)} µs, server ${micros(server.process.pid!, cpuBefore[1]!, calls + d!.latencies.length + d!.lost)} µs):`,
  );
  console.log(row("direct", d!));
  console.log(row(p.name, g!));
  console.log(
    `  added      p50 ${fmt(percentile(g!.latencies, 0.5) - percentile(d!.latencies, 0.5))} ms  p99 ${fmt(percentile(g!.latencies, 0.99) - percentile(d!.latencies, 0.99))} ms`,
  );
  for (const q of [0.5, 0.99])
    figures.push({
      name: `tools/call p${q * 100}, ${p.name}`,
      value: percentile(g!.latencies, q),
      unit: "ms",
      baseline: { name: "direct", value: percentile(d!.latencies, q) },
    });
}
const t = new Map<string, { perSecond: number; lost: number }>();
for (const p of [direct, ...through]) t.set(p.name, await throughputOf(p));
const base = t.get("direct")!.perSecond;
console.log(`throughput, ${CONCURRENCY} in flight for ${THROUGHPUT_MS} ms on each path:`);
for (const [name, v] of t)
  console.log(
    `  ${name.padEnd(10)} ${v.perSecond.toFixed(0)} calls/s  ratio ${(v.perSecond / base).toFixed(2)}  lost ${v.lost}`,
  );

const directRate = t.get("direct")!.perSecond;
printBenchResult("gateway", [
  ...figures,
  ...through.map((p) => ({
    name: `throughput, ${p.name}`,
    value: t.get(p.name)!.perSecond,
    unit: "calls/s",
    baseline: { name: "direct", value: directRate },
  })),
]);
for (const g of gateways) await stopGateway(g);
await minio?.stop();
await dispatcher.close();
await server.stop();
await oidc.close();
await rm(dir, { recursive: true, force: true });
