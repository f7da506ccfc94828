// npm run bench:webhook — the admission webhook's warm path over real TLS, side by side in one run
// with a bare fastify HTTPS endpoint that only parses the body and answers a fixed allow (the
// ceiling any Node webhook has on this machine). The same realistic review goes to both: a
// Deployment of an MCP server (server and init container, both signed and evaluated in a local
// registry) whose namespace holds its NetworkPolicies, RBAC and an exception. The verification
// cache is warmed and the registry then stopped, so no request can reach it.
//
// Each server runs in its own child process (this file with --serve), so load generation does not
// share an event loop with what it measures. BENCH_PROFILE=DIR writes the webhook child's CPU
// profile (node --cpu-prof) there. BENCH_MS bounds every load run; BENCH_ROUNDS alternating rounds
// (3) give each figure as a median. CPU per request (from /proc) is what a request costs each
// server whatever else the machine runs; throughput and latency also depend on that.
//
// Throughput is autocannon's (20 connections, as fast as answers come). Latency at 500 requests/s
// is measured open-loop on a fixed schedule (bench/paced.ts), both servers side by side: with a
// rate, autocannon lets each connection send its second's quota back to back and then wait, so
// its "steady" rate is bursts of 20 requests queued at once, and its latency that queue's.
import autocannon from "autocannon";
import { fork, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { openSync, readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { bufferedLogger } from "../cli/log.ts";
import { parse } from "yaml";
import { parseState } from "../cluster/state.ts";
import type { EvaluationPredicate } from "../policies/evaluation/predicate.ts";
import { createClusterState } from "../policies/workload/cluster-state.ts";
import { compilePolicy } from "../policies/workload/policy.ts";
import { RegistryClient } from "../supply-chain/registry/client.ts";
import { keySigner } from "../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../supply-chain/sign/sign-image.ts";
import { registryEvidence } from "../supply-chain/verify/evidence.ts";
import { issueServingCert, makeTestCA } from "../test/e2e/support/certs.ts";
import { startRegistry } from "../test/support/registry-server.ts";
import { pushImage } from "../test/support/supply-chain.ts";
import { buildApp } from "../webhook/app.ts";
import { DecisionCache } from "../webhook/decision-cache.ts";
import { createMetrics } from "../webhook/metrics.ts";
import { cpuSeconds } from "./proc.ts";
import { withFreshUids } from "./fresh-uids.ts";
import { paced, percentile } from "./paced.ts";
import { printBenchResult } from "./result.ts";

const DURATION_MS = Number(process.env.BENCH_MS ?? 5000);
const CONNECTIONS = 20;
const STEADY_RATE = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const NAMESPACE = "mcp-servers";
const root = new URL("../", import.meta.url);

interface Tls {
  key: string;
  cert: string;
}
type Ready = { port: number };
type Stopped = { cacheMisses: number; cacheHits: number; reused: number; judged: number };

// ---------------------------------------------------------------- the review and its cluster

const predicate = JSON.parse(
  readFileSync(new URL("test/fixtures/evaluation/valid-predicate.json", root), "utf8"),
) as EvaluationPredicate;
const now = new Date(Date.parse(predicate.time) + 3_600_000);

function container(name: string, image: string, port?: number) {
  return {
    name,
    image,
    env: [
      { name: "LOG_LEVEL", value: "info" },
      { name: "WORKSPACE", value: "/workspace" },
      { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "mcp-fs", key: "token" } } },
    ],
    ...(port ? { ports: [{ containerPort: port, protocol: "TCP" }] } : {}),
    resources: {
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    },
    volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    ...(port ? { readinessProbe: { tcpSocket: { port } } } : {}),
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: "IfNotPresent",
  };
}

/** The recorded Deployment review (test/fixtures/admission), made an MCP server's. */
export function review(server: string, init: string): unknown {
  const recorded = JSON.parse(
    readFileSync(new URL("test/fixtures/admission/deployment-create.json", root), "utf8"),
  ) as {
    request: { namespace: string; name: string; object: Record<string, unknown> };
  };
  const labels = { app: "mcp-fs", "app.kubernetes.io/part-of": "mcp", tier: "mcp" };
  recorded.request.namespace = NAMESPACE;
  recorded.request.name = "mcp-fs";
  const object = recorded.request.object as {
    metadata: Record<string, unknown>;
    spec: { selector: unknown; template: { metadata: unknown; spec: Record<string, unknown> } };
  };
  object.metadata.name = "mcp-fs";
  object.metadata.namespace = NAMESPACE;
  object.metadata.labels = labels;
  object.spec.selector = { matchLabels: { app: "mcp-fs" } };
  object.spec.template.metadata = {
    labels,
    annotations: { "mcp-warden.dev/exception": "mcp-fs-secret-env" },
  };
  Object.assign(object.spec.template.spec, {
    serviceAccountName: "mcp-fs",
    initContainers: [container("prepare", init)],
    containers: [container("server", server, 8080)],
    volumes: [{ name: "workspace", emptyDir: { sizeLimit: "1Gi" } }],
  });
  return recorded;
}

/** The namespace's objects as the watches list them: NetworkPolicies, RBAC, an exception. */
export function clusterObjects() {
  const np = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: NAMESPACE },
    spec,
  });
  const networkPolicies = [
    np("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    np("mcp-fs-agents", {
      podSelector: { matchLabels: { app: "mcp-fs" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          // Only the server's gateway may reach it (runtime/gateway-required).
          from: [{ podSelector: { matchLabels: { "mcp-warden.dev/gateway-for": "mcp-fs" } } }],
          ports: [{ port: 8080, protocol: "TCP" }],
        },
      ],
    }),
    // Other servers' policies in the same namespace, which the engine must rule out.
    ...Array.from({ length: 8 }, (_, i) =>
      np(`mcp-other-${i}`, {
        podSelector:
          i % 2 === 0
            ? { matchLabels: { app: `mcp-other-${i}` } }
            : {
                matchExpressions: [
                  { key: "app", operator: "In", values: [`mcp-other-${i}`, "legacy"] },
                  { key: "tier", operator: "Exists" },
                ],
              },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { agent: `a-${i}` } } }] }],
        egress: [{ to: [{ ipBlock: { cidr: `10.${i}.0.0/16` } }], ports: [{ port: 443 }] }],
      }),
    ),
  ];
  const rbac = [
    [
      "Role",
      [
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "mcp-other-config", namespace: NAMESPACE },
          rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
        },
      ],
    ],
    ["ClusterRole", []],
    [
      "RoleBinding",
      [
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "mcp-other-config", namespace: NAMESPACE },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: "mcp-other-config",
          },
          subjects: [{ kind: "ServiceAccount", name: "mcp-other", namespace: NAMESPACE }],
        },
      ],
    ],
    ["ClusterRoleBinding", []],
  ] as const;
  const exceptions = [
    {
      apiVersion: "mcp-warden.dev/v1alpha1",
      kind: "MCPWardenException",
      metadata: { name: "mcp-fs-secret-env", namespace: "mcp-warden-system" },
      spec: {
        rules: ["credentials/no-secret-env"],
        namespaces: [NAMESPACE],
        reason: "the token comes from the platform's secret store; tracked in SEC-123",
        expires: "2027-01-31T00:00:00Z",
      },
    },
  ];
  return { networkPolicies, rbac, exceptions };
}

// ---------------------------------------------------------------- the servers (child processes)

/**
 * A real registry holding the review's two images, signed and evaluated, and the default policy
 * trusting their signer. Shared with bench/scale.ts.
 */
export async function signedImages() {
  const registry = await startRegistry();
  const client = new RegistryClient();
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const images: string[] = [];
  for (const name of ["mcp-fs", "mcp-fs-prepare"]) {
    const repo = `${registry.host}/acme/${name}`;
    const pushed = await pushImage(client, repo, "v1", `${name}-${Date.now()}`);
    const ref = `${repo}@${pushed.manifest.digest}`;
    await signImage(client, ref, keySigner(key.privateKey), now);
    await attestEvaluation(client, ref, predicate, keySigner(key.privateKey), now);
    images.push(ref);
  }
  const doc = parse(readFileSync(new URL("policies/default.yaml", root), "utf8")) as {
    spec: { images: { trustedSigners: unknown[] } };
  };
  doc.spec.images.trustedSigners = [
    { key: { publicKey: key.publicKey.export({ type: "spki", format: "pem" }).toString() } },
  ];
  return { registry, images, policy: compilePolicy(doc), now };
}

/**
 * The webhook as `serve` builds it, judging with the review's cluster state and a real registry
 * holding the review's two images, signed and evaluated. Exported for profiling in-process.
 */
export async function webhookApp(tls?: Tls, opts: { reuse: boolean } = { reuse: true }) {
  const { registry, images, policy } = await signedImages();
  const parsed = parseState(clusterObjects());
  const cluster = createClusterState(parsed);
  const state = {
    snapshot: () => ({ policy, cluster, rbac: parsed.rbac, ready: true, watches: [] }),
    close: () => Promise.resolve(),
  };
  const evidence = registryEvidence(() => new RegistryClient());
  const decisions = opts.reuse ? new DecisionCache() : undefined;
  // As `serve` logs: one JSON line per decision on stdout, in batches (the child's goes to /dev/null).
  const logger = bufferedLogger("info", "mcp-warden");
  const app = buildApp(
    {
      logger,
      bodyLimit: 3 * 1024 * 1024,
      maxJsonDepth: 64,
      deadlineMs: 8000,
      tls: tls ? bufs(tls) : undefined,
    },
    {
      state,
      metrics: createMetrics(),
      now: () => now,
      evidence: evidence.provide,
      cachedEvidence: evidence.cached,
      decisions,
    },
  );
  return {
    app,
    registry,
    evidence,
    state,
    decisions,
    body: JSON.stringify(review(images[0]!, images[1]!)),
  };
}

async function serveWebhook(tls: Tls, reuse: boolean) {
  const { app, registry, evidence, body, decisions } = await webhookApp(tls, { reuse });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as { port: number }).port;
  return {
    port,
    body,
    // Warmed by the parent's first request; after it the registry goes away.
    afterWarmup: () => registry.stop(),
    stop: async (): Promise<Stopped> => {
      await app.close();
      return {
        cacheMisses: evidence.cache.misses,
        cacheHits: evidence.cache.hits,
        reused: decisions?.hits ?? 0,
        judged: decisions?.misses ?? 0,
      };
    },
  };
}

async function serveCeiling(tls: Tls) {
  const app = Fastify({ https: { ...bufs(tls), minVersion: "TLSv1.2" } });
  app.post("/validate", (req) => ({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid: (req.body as { request: { uid: string } }).request.uid, allowed: true },
  }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as { port: number }).port;
  return {
    port,
    body: "",
    afterWarmup: () => Promise.resolve(),
    stop: async (): Promise<Stopped> => {
      await app.close();
      return { cacheMisses: 0, cacheHits: 0, reused: 0, judged: 0 };
    },
  };
}

function bufs(tls: Tls) {
  return { key: Buffer.from(tls.key), cert: Buffer.from(tls.cert) };
}

async function child(kind: string): Promise<void> {
  const tls = JSON.parse(process.env.BENCH_TLS ?? "{}") as Tls;
  const server =
    kind === "ceiling" ? await serveCeiling(tls) : await serveWebhook(tls, kind === "webhook");
  process.send?.({ port: server.port, body: server.body });
  process.on("message", (m: string) => {
    if (m === "warm") void server.afterWarmup().then(() => process.send?.("warmed"));
    if (m === "stop") {
      void server.stop().then((s) => {
        process.send?.(s);
        process.disconnect();
      });
    }
  });
}

// ---------------------------------------------------------------- the load (this process)

interface Child {
  proc: ChildProcess;
  port: number;
  body: string;
}

function next<T>(proc: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    proc.once("message", (m) => resolve(m as T));
    proc.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function startChild(kind: string, tls: Tls, profileDir?: string): Promise<Child> {
  const proc = fork(fileURLToPath(import.meta.url), ["--serve", kind], {
    env: { ...process.env, BENCH_TLS: JSON.stringify(tls) },
    stdio: ["ignore", openSync("/dev/null", "w"), "inherit", "ipc"],
    execArgv: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  });
  const ready = await next<Ready & { body: string }>(proc);
  return { proc, port: ready.port, body: ready.body };
}

function post(port: number, ca: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/validate", method: "POST", ca },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      },
    );
    req.on("error", reject);
    req.setHeader("content-type", "application/json");
    req.end(body);
  });
}

type Run = Awaited<ReturnType<typeof load>> & { lost?: number };

/** One POST of the review on a keep-alive connection: its latency in ms, undefined on failure. */
function poster(port: number, ca: string, body: string): () => Promise<number | undefined> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, ca });
  const fresh = withFreshUids(body);
  return () =>
    new Promise((resolve) => {
      const text = fresh();
      const headers = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      };
      const started = performance.now();
      const req = request(
        { host: "127.0.0.1", port, path: "/validate", method: "POST", agent, headers },
        (res) => {
          res.resume();
          res.on("end", () =>
            resolve(res.statusCode === 200 ? performance.now() - started : undefined),
          );
        },
      );
      req.on("error", () => resolve(undefined));
      req.end(text);
    });
}

/** A steady round's latency figures (throughput and CPU are autocannon's). */
function steadyRun(m: { latencies: number[]; lost: number }): Run {
  return {
    perSecond: Number.NaN,
    cpuMicros: Number.NaN,
    p50: percentile(m.latencies, 0.5),
    p99: percentile(m.latencies, 0.99),
    lost: m.lost,
  };
}

/** Each figure's median over the runs. */
function median(runs: Run[]): Run {
  const mid = (pick: (r: Run) => number) => {
    const sorted = runs.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return {
    perSecond: mid((r) => r.perSecond),
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    cpuMicros: mid((r) => r.cpuMicros),
  };
}

async function load(server: Child, body: string) {
  const cpuBefore = cpuSeconds(server.proc.pid!);
  const fresh = withFreshUids(body);
  const result = await autocannon({
    url: `https://127.0.0.1:${server.port}/validate`,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [{ setupRequest: (req) => ({ ...req, body: fresh() }) }],
    connections: CONNECTIONS,
    duration: DURATION_MS / 1000,
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${failed} requests failed on port ${server.port}`);
  return {
    perSecond: result.requests.total / (DURATION_MS / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    // What a request costs the server, whatever else the machine runs.
    cpuMicros: ((cpuSeconds(server.proc.pid!) - cpuBefore) * 1e6) / result.requests.total,
  };
}

async function main(): Promise<void> {
  const ca = await makeTestCA();
  const tls = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
  const webhook = await startChild("webhook", tls, process.env.BENCH_PROFILE);
  // The same webhook judging every review afresh: what reusing decisions saves.
  const fresh = await startChild("webhook-fresh", tls);
  const ceiling = await startChild("ceiling", tls, process.env.BENCH_PROFILE_CEILING);
  try {
    const body = webhook.body;
    type Answer = {
      response: { allowed: boolean; warnings?: string[]; status?: { message: string } };
    };
    let first: Answer | undefined;
    for (const w of [webhook, fresh]) {
      // One request warms the verification cache; then the registry is stopped.
      const answer = JSON.parse(await post(w.port, ca.cert, w.body)) as Answer;
      if (!answer.response.allowed) {
        throw new Error(`the review is denied: ${answer.response.status?.message ?? ""}`);
      }
      first ??= answer;
      w.proc.send("warm");
      await next(w.proc);
      const again = await post(w.port, ca.cert, w.body);
      if (!(JSON.parse(again) as Answer).response.allowed) {
        throw new Error(`the review is denied once the registry is gone: ${again}`);
      }
    }
    const bytes = Buffer.byteLength(body).toLocaleString("en-US");
    console.log(
      `review: Deployment (server + init container, signed and evaluated), ${bytes} bytes; ` +
        `10 NetworkPolicies, RBAC and an exception in cluster state; allowed, ` +
        `${first?.response.warnings?.length ?? 0} warnings; ${cpus().length} CPUs`,
    );
    console.log(
      `throughput: autocannon, ${CONNECTIONS} connections, ${DURATION_MS} ms per run; latency: ` +
        `${STEADY_RATE} requests/s to each server on a fixed schedule, side by side, over ` +
        `${CONNECTIONS} keep-alive connections each; median of ${ROUNDS} alternating rounds, TLS, ` +
        `one child process per server`,
    );
    for (const s of [ceiling, webhook, fresh]) await load(s, fresh === s ? fresh.body : body); // warm-up, JIT
    // Alternating rounds, the median of each figure: the machine's other work comes and goes.
    const runs = {
      top: { ceiling: [] as Run[], webhook: [] as Run[], fresh: [] as Run[] },
      steady: { ceiling: [] as Run[], webhook: [] as Run[] },
    };
    const senders = [poster(ceiling.port, ca.cert, body), poster(webhook.port, ca.cert, body)];
    const perRound = Math.round((STEADY_RATE * DURATION_MS) / 1000);
    await paced(senders, STEADY_RATE, Math.min(perRound, 500), DURATION_MS); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      runs.top.ceiling.push(await load(ceiling, body));
      runs.top.webhook.push(await load(webhook, body));
      runs.top.fresh.push(await load(fresh, fresh.body));
      const [c, w] = await paced(senders, STEADY_RATE, perRound, 2 * DURATION_MS);
      runs.steady.ceiling.push(steadyRun(c!));
      runs.steady.webhook.push(steadyRun(w!));
    }
    const top = {
      ceiling: median(runs.top.ceiling),
      webhook: median(runs.top.webhook),
      fresh: median(runs.top.fresh),
    };
    const steady = { ceiling: median(runs.steady.ceiling), webhook: median(runs.steady.webhook) };
    const lost = [...runs.steady.ceiling, ...runs.steady.webhook].reduce(
      (n, r) => n + (r.lost ?? 0),
      0,
    );
    if (lost > 0) throw new Error(`${lost} requests at ${STEADY_RATE}/s failed`);
    const f = (n: number) => Math.round(n).toLocaleString("en-US").padStart(8);
    const ms = (n: number) => `${n.toFixed(1).padStart(6)} ms`;
    console.log(
      `                         throughput   CPU/request   p50 @${STEADY_RATE}/s   p99 @${STEADY_RATE}/s`,
    );
    for (const [name, t, s] of [
      ["bare fastify (ceiling)", top.ceiling, steady.ceiling],
      ["mcp-warden webhook", top.webhook, steady.webhook],
      ["  judging every review", top.fresh, undefined],
    ] as const) {
      console.log(
        `${name.padEnd(24)} ${f(t.perSecond)} /s   ${f(t.cpuMicros)} µs` +
          (s ? `   ${ms(s.p50)}   ${ms(s.p99)}` : ""),
      );
    }
    // Each figure's range over the rounds: how far the machine's other work moved it.
    const range = (rs: Run[], pick: (r: Run) => number) =>
      `${Math.round(Math.min(...rs.map(pick)))}–${Math.round(Math.max(...rs.map(pick)))}`;
    for (const [name, rs] of [
      ["ceiling", runs.top.ceiling],
      ["webhook", runs.top.webhook],
      ["judging every review", runs.top.fresh],
    ] as const) {
      console.log(
        `rounds, ${name}: throughput ${range(rs, (r) => r.perSecond)} /s, ` +
          `CPU/request ${range(rs, (r) => r.cpuMicros)} µs`,
      );
    }
    const ratio = top.webhook.perSecond / top.ceiling.perSecond;
    const cpuRatio = top.ceiling.cpuMicros / top.webhook.cpuMicros;
    const freshRatio = top.fresh.perSecond / top.ceiling.perSecond;
    console.log(
      `ratio webhook / ceiling: throughput ${ratio.toFixed(2)}, CPU per request ${cpuRatio.toFixed(2)} (ceiling's / webhook's); ` +
        `judging every review: throughput ${freshRatio.toFixed(2)}`,
    );
    webhook.proc.send("stop");
    const stopped = await next<Stopped>(webhook.proc);
    console.log(
      `verification cache: ${stopped.cacheMisses} misses (the warm-up), ${stopped.cacheHits.toLocaleString("en-US")} hits; ` +
        `decisions reused: ${stopped.reused.toLocaleString("en-US")} of ${(stopped.reused + stopped.judged).toLocaleString("en-US")}`,
    );
    console.log(
      `targets: >= 0.70 of the ceiling: ${ratio >= 0.7 ? "met" : "NOT met"}; ` +
        `p99 <= 5 ms at ${STEADY_RATE}/s: ${steady.webhook.p99 <= 5 ? "met" : "NOT met"}`,
    );
    printBenchResult("webhook", [
      {
        name: "throughput",
        value: top.webhook.perSecond,
        unit: "requests/s",
        baseline: { name: "bare fastify (ceiling)", value: top.ceiling.perSecond },
      },
      {
        name: `p99 at ${STEADY_RATE}/s`,
        value: steady.webhook.p99,
        unit: "ms",
        baseline: { name: "bare fastify (ceiling)", value: steady.ceiling.p99 },
      },
      {
        name: `p50 at ${STEADY_RATE}/s`,
        value: steady.webhook.p50,
        unit: "ms",
        baseline: { name: "bare fastify (ceiling)", value: steady.ceiling.p50 },
      },
      {
        name: "CPU per request",
        value: top.webhook.cpuMicros,
        unit: "µs",
        baseline: { name: "bare fastify (ceiling)", value: top.ceiling.cpuMicros },
      },
      {
        name: "throughput, judging every review",
        value: top.fresh.perSecond,
        unit: "requests/s",
        baseline: { name: "bare fastify (ceiling)", value: top.ceiling.perSecond },
      },
    ]);
  } finally {
    for (const c of [webhook, fresh, ceiling]) {
      // The webhook child may have stopped already.
      if (c.proc.connected) c.proc.send("stop", () => {});
    }
  }
}

if (process.argv[2] === "--serve") await child(process.argv[3] ?? "");
else if (import.meta.main) await main();
