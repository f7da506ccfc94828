// npm run load — real TLS load against `mcp-warden serve` (a process, warm), and through a real
// kube-apiserver with the webhook registered (server-side dry-run pod creations, side by side with
// the same creations in a namespace the webhook is not called for); throughput, p50/p99/p99.9 and
// errors. Then two soaks, each a steady rate for LOAD_SOAK_MS (10 minutes) while the process's
// memory is sampled every LOAD_SAMPLE_MS, growth after warm-up (the first fifth) beyond 10% failing
// (the webhook's RSS; the gateway's heap used plus external memory, asked over its IPC channel,
// its RSS said beside it):
// reviews against the webhook, then tools/call through the gateway (its own process, as
// bench:gateway runs it: TLS, OIDC, a grant, its audit trail into a directory sink) to the
// published server-everything.
//
// Knobs: LOAD_MS (each load run, 10 s), LOAD_CONNECTIONS (20), LOAD_SOAK_MS (600000; 0 skips the
// soaks), LOAD_SOAK_RATE (requests/s, 200), LOAD_GATEWAY_SOAK_RATE (calls/s, 100), LOAD_SAMPLE_MS
// (5000), LOAD_SOAKS (which soaks run: webhook,gateway), LOAD_API (0 skips the API server part,
// which needs MCP_WARDEN_K8S_BIN or a cached build).
import autocannon from "autocannon";
import type { ChildProcess } from "node:child_process";
import { KubernetesObjectApi, CoreV1Api, type KubernetesObject } from "@kubernetes/client-node";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { withFreshUids } from "../bench/fresh-uids.ts";
import { issueServingCert, makeTestCA } from "../test/e2e/support/certs.ts";
import { k8sBinDir, startCluster } from "../test/e2e/support/cluster.ts";
import { registerWebhook } from "../test/e2e/support/manifests.ts";
import { startWebhookProcess, type WebhookProcess } from "../test/e2e/support/webhook-process.ts";
import { call, open, rig, SPEC, startGateway } from "../test/faults/gateway-rig.ts";
import { review } from "../test/faults/scenarios.ts";
import { freePort } from "../test/gateway/support.ts";
import { compliantPodSpec, policyWith } from "../test/support/policies.ts";

const LOAD_MS = Number(process.env.LOAD_MS ?? 10_000);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 20);
const SOAK_MS = Number(process.env.LOAD_SOAK_MS ?? 600_000);
const SOAK_RATE = Number(process.env.LOAD_SOAK_RATE ?? 200);
const GATEWAY_SOAK_RATE = Number(process.env.LOAD_GATEWAY_SOAK_RATE ?? 100);
// Calls in flight beyond this are not started (counted as errors): the soak stays bounded.
const GATEWAY_SOAK_MAX_IN_FLIGHT = 64;
const SAMPLE_MS = Number(process.env.LOAD_SAMPLE_MS ?? 5000);
const SOAKS = new Set((process.env.LOAD_SOAKS ?? "webhook,gateway").split(","));
const API = process.env.LOAD_API !== "0";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), "mcp-warden-load-"));
// JSON (which is YAML): the loader reads a plain `off` as YAML 1.1 does, a boolean.
const policyDoc = policyWith({
  rules: {
    "image/signed": "off",
    "image/evaluated": "off",
    "rbac/within-declared": "off",
    "network/within-declared": "off",
  },
});
const policyFile = join(dir, "policy.yaml");
writeFileSync(policyFile, JSON.stringify(policyDoc));
const ca = await makeTestCA();
const tls = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  requests: number;
}

async function cannon(port: number, body: string, ms: number, rate?: number): Promise<Figures> {
  // A fresh uid per request, as the API server sends them: `serve` reuses decisions otherwise.
  const fresh = withFreshUids(body);
  const r = (await autocannon({
    url: `https://127.0.0.1:${port}/validate`,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [{ setupRequest: (req) => ({ ...req, body: fresh() }) }],
    connections: CONNECTIONS,
    duration: ms / 1000,
    ...(rate ? { overallRate: rate } : {}),
  })) as unknown as {
    requests: { total: number };
    latency: { p50: number; p99: number; p99_9: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    perSecond: r.requests.total / (ms / 1000),
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    errors: r.errors + r.timeouts + r.non2xx,
    requests: r.requests.total,
  };
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** Creations with dryRun through the API server, `CONNECTIONS` at once, for `ms`. */
async function apiLoad(core: CoreV1Api, namespace: string, ms: number): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  let denied = 0;
  const until = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        const t = performance.now();
        try {
          await core.createNamespacedPod({
            namespace,
            dryRun: "All",
            body: {
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: `load-${c}-${i}`, labels: { app: "load" } },
              spec: compliantPodSpec() as never,
            },
          });
        } catch (err) {
          if (/mcp-warden denied/.test(String((err as { body?: unknown }).body ?? err))) denied++;
          else errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - start;
  if (denied > 0) console.error(`${namespace}: ${denied} creations denied by the webhook`);
  return {
    perSecond: latencies.length / (elapsed / 1000),
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    p999: pct(latencies, 0.999),
    errors,
    requests: latencies.length,
  };
}

/** Samples `pid`'s RSS every SAMPLE_MS until stopped. */
function sampleRss(pid: number): { stop(): { t: number; rss: number }[] } {
  const samples: { t: number; rss: number }[] = [];
  const start = performance.now();
  const sampler = setInterval(
    () => samples.push({ t: performance.now() - start, rss: rssMiB(pid) }),
    SAMPLE_MS,
  );
  return {
    stop() {
      clearInterval(sampler);
      return samples;
    },
  };
}

/**
 * Samples what a child process holds in use (V8 heap used plus memory outside it: buffers, TLS),
 * asked over its IPC channel, every SAMPLE_MS; as MiB in `rss` so that flat() reads it too.
 */
function sampleUsed(child: ChildProcess) {
  const samples: { t: number; rss: number }[] = [];
  const start = performance.now();
  const onMessage = (m: unknown) => {
    const memory = (m as { memory?: NodeJS.MemoryUsage }).memory;
    if (memory !== undefined)
      samples.push({
        t: performance.now() - start,
        rss: (memory.heapUsed + memory.external) / 2 ** 20,
      });
  };
  child.on("message", onMessage);
  const sampler = setInterval(() => child.send("memory"), SAMPLE_MS);
  return {
    stop() {
      clearInterval(sampler);
      child.off("message", onMessage);
      return samples;
    },
  };
}

/** Says the RSS samples of a soak and whether they stayed flat after warm-up (the first fifth). */
function flat(name: string, samples: { t: number; rss: number }[], what = "RSS"): boolean {
  const warm = samples.filter((s) => s.t >= SOAK_MS / 5);
  const window = Math.max(1, Math.floor(warm.length / 4));
  // The floor of each window (RSS just after a collection), not its mean: a major collection
  // inside the last window would otherwise hide growth, or one late in the first invent it.
  const floor = (xs: { rss: number }[]) => Math.min(...xs.map((s) => s.rss));
  const first = floor(warm.slice(0, window));
  const last = floor(warm.slice(-window));
  const growth = last / first - 1;
  say(
    `${name} ${what}: ${samples.map((s) => s.rss.toFixed(0)).join(" ")} MiB (every ${SAMPLE_MS / 1000} s)`,
  );
  say(
    `${name} ${what} floor after warm-up (${SOAK_MS / 5000} s), first quarter → last quarter: ${first.toFixed(1)} → ${last.toFixed(1)} MiB, growth ${(growth * 100).toFixed(1)}% (limit 10%): ${growth <= 0.1 ? "flat" : "GROWING"}`,
  );
  return growth <= 0.1;
}

/**
 * tools/call get-sum through the gateway at GATEWAY_SOAK_RATE for SOAK_MS, over 4 sessions, the
 * gateway's RSS sampled; true when no call failed and its memory stayed flat.
 */
async function gatewaySoak(): Promise<boolean> {
  const r = await rig();
  const gw = await startGateway(
    r,
    { kind: "directory", dir: join(r.dir, "sink") },
    SPEC,
    await freePort(),
  );
  try {
    const sessions = await Promise.all([1, 2, 3, 4].map(() => open(r, gw.url)));
    for (let i = 0; i < 200; i++)
      await call(r, sessions[i % 4]!, `warm-${i}`, "get-sum", { a: i, b: 1 }); // JIT, connections
    const sampled = sampleRss(gw.child.pid!);
    const used = sampleUsed(gw.child);
    const latencies: number[] = [];
    let errors = 0;
    const why = new Map<string, number>();
    const failed = (what: string) => {
      errors++;
      why.set(what, (why.get(what) ?? 0) + 1);
    };
    let inFlight = 0;
    const interval = 1000 / GATEWAY_SOAK_RATE;
    const start = performance.now();
    for (let i = 0; performance.now() - start < SOAK_MS; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight >= GATEWAY_SOAK_MAX_IN_FLIGHT) {
        failed("not started: too many in flight");
        continue;
      }
      inFlight++;
      void call(r, sessions[i % 4]!, `soak-${i}`, "get-sum", { a: i, b: 1 }).then((c) => {
        inFlight--;
        if (c.outcome === "result") latencies.push(c.ms);
        else failed(`${c.outcome} ${c.code ?? ""} ${c.message ?? ""}`.trim());
      });
    }
    // Each call gives up after its 10 s deadline: this wait is bounded.
    while (inFlight > 0) await sleep(20);
    const elapsed = performance.now() - start;
    row(`gateway soak, ${SOAK_MS / 1000} s at ${GATEWAY_SOAK_RATE}/s`, {
      perSecond: latencies.length / (elapsed / 1000),
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      p999: pct(latencies, 0.999),
      errors,
      requests: latencies.length + errors,
    });
    if (errors > 0) {
      say(`gateway soak errors: ${JSON.stringify(Object.fromEntries(why))}`);
      // What the gateway said about them, before its directory goes.
      const told = readFileSync(join(r.dir, "gateway.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes('"level":40') && !l.includes("definition-drift"));
      for (const l of told.slice(0, 5)) say(`  gateway log: ${l}`);
    }
    // Judged on the memory in use: its RSS also follows V8 growing and shrinking the heap it
    // reserves (measured: RSS 131 → 157 MiB as the heap's reservation went 44 → 67 MiB, with heap
    // used 30–48 MiB and external 11–12 MiB throughout, no trend). RSS is said beside it.
    flat("gateway", sampled.stop(), "RSS (reported, not judged)");
    return flat("gateway", used.stop(), "heap used + external") && errors === 0;
  } finally {
    await gw.stop();
    await r.stop();
  }
}

const lines: string[] = [];
const say = (s: string) => {
  lines.push(s);
  console.log(s);
};
const row = (name: string, f: Figures) =>
  say(
    `${name.padEnd(44)} ${Math.round(f.perSecond).toString().padStart(6)}/s  p50 ${f.p50.toFixed(1)} ms  p99 ${f.p99.toFixed(1)} ms  p99.9 ${f.p999.toFixed(1)} ms  errors ${f.errors} of ${f.requests}`,
  );

say(
  `machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}; ${CONNECTIONS} connections, ${LOAD_MS} ms per run`,
);
let failed = false;
const webhook: WebhookProcess = await startWebhookProcess({
  cert: tls.cert,
  key: tls.key,
  ca: ca.cert,
  args: [`--policy=${policyFile}`, "--log-level=warn"],
});
try {
  // ---------------------------------------------------------------- direct, warm
  const good = review("load", false);
  await cannon(webhook.port, good, 2000); // warm-up, JIT
  row("mcp-warden serve, direct (TLS)", await cannon(webhook.port, good, LOAD_MS));

  // ---------------------------------------------------------------- through the API server
  if (API && k8sBinDir()) {
    const cluster = await startCluster({ binDir: k8sBinDir()! });
    const viaApi = await startWebhookProcess({
      kubeconfig: cluster.kubeconfigPath,
      cert: tls.cert,
      key: tls.key,
      ca: ca.cert,
      args: [`--policy=${policyFile}`, "--log-level=warn"],
    });
    try {
      const kc = cluster.kubeConfig();
      const objects = KubernetesObjectApi.makeApiClient(kc);
      const core = kc.makeApiClient(CoreV1Api);
      for (const [name, enforce] of [
        ["team-a", true],
        ["plain", false],
      ] as const)
        await core.createNamespace({
          body: { metadata: { name, labels: enforce ? { "mcp-warden.dev/enforce": "true" } : {} } },
        });
      await objects.create({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "deny-all", namespace: "team-a" },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      } as KubernetesObject);
      await registerWebhook(objects, viaApi.url, ca.cert);
      // The API server picks the configuration up through its informer: wait until it bites.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const bad = compliantPodSpec();
        (bad.securityContext as Record<string, unknown>).runAsNonRoot = false;
        const bites = await core
          .createNamespacedPod({
            namespace: "team-a",
            dryRun: "All",
            body: {
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: "probe" },
              spec: bad as never,
            },
          })
          .then(
            () => false,
            (e: unknown) => /mcp-warden denied/.test(String((e as { body?: unknown }).body ?? e)),
          );
        if (bites) break;
        if (Date.now() > deadline) throw new Error("the webhook is not called by the API server");
        await sleep(500);
      }
      await apiLoad(core, "team-a", 2000); // warm-up
      row("API server, dry-run, without the webhook", await apiLoad(core, "plain", LOAD_MS));
      row("API server, dry-run, through the webhook", await apiLoad(core, "team-a", LOAD_MS));
    } finally {
      await viaApi.stop();
      await cluster.stop();
    }
  } else say("API server part skipped: LOAD_API=0 or no kube-apiserver build");

  // ---------------------------------------------------------------- soaks
  if (SOAK_MS > 0 && SOAKS.has("webhook")) {
    const sampled = sampleRss(webhook.pid);
    const soak = await cannon(webhook.port, good, SOAK_MS, SOAK_RATE);
    row(`soak, ${SOAK_MS / 1000} s at ${SOAK_RATE}/s`, soak);
    if (!flat("webhook", sampled.stop()) || soak.errors > 0) failed = true;
  }
  if (SOAK_MS > 0 && SOAKS.has("gateway") && !(await gatewaySoak())) failed = true;
} finally {
  await webhook.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
