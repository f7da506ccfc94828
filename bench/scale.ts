// npm run bench:scale — admission time as the cluster grows: 10, 1,000 and 10,000 NetworkPolicies
// in the review's namespace (varied selectors, most selecting other pods) and 100,000 cached image
// digests. Three paths, each with its growth from the smallest to the largest (target: at most 20%):
//   - in process: the engine judging the bench:webhook review (`admit`) with that cluster state;
//   - in process, the verification cache alone: the same admission with only its two images
//     cached, and with the 100,000 digests beside them;
//   - watch path: a real kube-apiserver + etcd holding the policies (one namespace per size, so
//     the cluster holds their sum), RBAC and the exception, the webhook's watch-fed state
//     (ClusterWatch), and the review through the webhook's route (fastify inject) as well as
//     `admit` on that state.
// The sizes are measured side by side (alternating batches), and growth is judged by CPU time
// per admission on the event loop's thread, which waiting for a shared core does not inflate.
// The two images are signed and evaluated in a real registry and verified once; the 100,000
// digests sit in the verification cache (the FactsCache the webhook's registry evidence uses),
// looked up per request as its warm path does. BENCH_MS (per size and round) bounds each
// measurement; BENCH_ROUNDS (3) rounds give medians and their spread. BENCH_SCALE_SIZES (10,1000,10000) and BENCH_SCALE_WATCH=0
// (in process only) shorten it.
import { performance } from "node:perf_hooks";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { parseState } from "../cluster/state.ts";
import type { ImageFacts } from "../policies/workload/image-evidence.ts";
import { createClusterState } from "../policies/workload/cluster-state.ts";
import type { EvidenceProvider } from "../supply-chain/verify/evidence.ts";
import { registryEvidence } from "../supply-chain/verify/evidence.ts";
import { FactsCache } from "../supply-chain/verify/facts-cache.ts";
import { RegistryClient } from "../supply-chain/registry/client.ts";
import { k8sBinDir, startCluster } from "../test/e2e/support/cluster.ts";
import { buildApp } from "../webhook/app.ts";
import { ClusterWatch } from "../webhook/cluster-watch.ts";
import { admit } from "../webhook/decide.ts";
import { createMetrics } from "../webhook/metrics.ts";
import type { StateSource } from "../webhook/state.ts";
import { printBenchResult } from "./result.ts";
import { clusterObjects, NAMESPACE, review, signedImages } from "./webhook.ts";

const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = (process.env.BENCH_SCALE_SIZES ?? "10,1000,10000").split(",").map(Number);
const DIGESTS = 100_000;
const CREATE_CONCURRENCY = 16;
const GROWTH_TARGET = 0.2;
const BATCH = 100;

// ---------------------------------------------------------------- the namespace's policies

/** The i-th of the other servers' NetworkPolicies: selectors as teams write them, none selecting mcp-fs. */
function otherPolicy(i: number) {
  const app = `svc-${i}`;
  const shapes = [
    { matchLabels: { app } },
    { matchLabels: { app, "app.kubernetes.io/part-of": "mcp" } },
    {
      matchExpressions: [
        { key: "app", operator: "In", values: [app, `${app}-canary`] },
        { key: "tier", operator: "Exists" },
      ],
    },
    { matchLabels: { "app.kubernetes.io/name": app }, matchExpressions: [] },
    {
      matchExpressions: [
        { key: "team", operator: "In", values: [`team-${i % 50}`] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    },
  ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `other-${i}`, namespace: NAMESPACE },
    spec: {
      podSelector: shapes[i % shapes.length],
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { "mcp-warden.dev/gateway-for": app } } }],
          ports: [{ port: 8080, protocol: "TCP" }],
        },
      ],
      egress: [
        {
          to: [{ ipBlock: { cidr: `10.${i % 256}.${Math.floor(i / 256) % 256}.0/24` } }],
          ports: [{ port: 443, protocol: "TCP" }],
        },
      ],
    },
  };
}

/** The review's own policies (bench:webhook's ten) and enough others to hold `n` in all. */
function namespacePolicies(n: number, namespace = NAMESPACE) {
  const own = clusterObjects().networkPolicies;
  const all = [
    ...own,
    ...Array.from({ length: Math.max(0, n - own.length) }, (_, i) => otherPolicy(i)),
  ];
  return all.map((np) => ({ ...np, metadata: { ...np.metadata, namespace } }));
}

/** The watch path's namespace holding `n` NetworkPolicies. */
const scaleNamespace = (n: number) => `mcp-servers-${n}`;

/** The review, made in another namespace. */
function reviewIn(body: unknown, namespace: string): unknown {
  const copy = structuredClone(body) as {
    request: { namespace: string; object: { metadata: { namespace: string } } };
  };
  copy.request.namespace = namespace;
  copy.request.object.metadata.namespace = namespace;
  return copy;
}

// ---------------------------------------------------------------- the verification cache

/** The images verified once in the registry, then `extra` more digests in the same cache. */
async function verifiedDigests(
  images: string[],
  policy: Parameters<EvidenceProvider>[1],
  extra: number,
) {
  const verified = registryEvidence(() => new RegistryClient());
  const real = await verified.provide(images, policy, AbortSignal.timeout(30_000));
  const facts = new Map(images.map((r) => [r, real.forImage(r)]));
  for (const [ref, f] of facts) {
    if (!f || f.verifiedSignatures.length === 0) throw new Error(`${ref} did not verify`);
  }
  const template = facts.get(images[0]!)!;
  const scope = `${policy.digest}|`;
  const cache = new FactsCache((ref) => Promise.resolve<ImageFacts>(facts.get(ref) ?? template), {
    maxEntries: 2 * Math.max(extra, 1),
    successTtlMs: 24 * 3_600_000,
  });
  const host = images[0]!.split("/")[0]!;
  for (let i = 0; i < extra; i++) {
    const digest = i.toString(16).padStart(64, "0");
    await cache.get(`${host}/acme/tool-${i % 997}@sha256:${digest}`, scope);
  }
  for (const image of images) await cache.get(image, scope);
  // As registryEvidence answers a warm request: every image from the cache, no registry.
  const provide: EvidenceProvider = (references) => {
    const found = new Map(references.map((r) => [r, cache.fresh(r, scope)]));
    return Promise.resolve({ forImage: (r) => found.get(r) });
  };
  return { provide, size: () => cache.size };
}

// ---------------------------------------------------------------- measuring

interface Figures {
  /**
   * CPU time of one admission on the event loop's thread: what growth is judged by, since it
   * does not count the time the thread waits for a core (2 shared cores here).
   */
  cpuMicros: number;
  /** Wall time of one admission, median and 99th percentile. */
  p50Micros: number;
  p99Micros: number;
}

function medianOf(runs: Figures[]): Figures {
  const mid = (pick: (f: Figures) => number) =>
    runs.map(pick).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  return {
    cpuMicros: mid((f) => f.cpuMicros),
    p50Micros: mid((f) => f.p50Micros),
    p99Micros: mid((f) => f.p99Micros),
  };
}

function spread(runs: Figures[]): string {
  const p50s = runs.map((f) => f.cpuMicros);
  return `${Math.min(...p50s).toFixed(0)}–${Math.max(...p50s).toFixed(0)}`;
}

/**
 * The sizes measured side by side: batches of BATCH calls alternate between them for
 * DURATION_MS per size and round, so the machine's other work falls on each size alike.
 */
async function interleaved(
  sizes: number[],
  onceFor: (n: number) => () => Promise<void>,
): Promise<Map<number, Figures[]>> {
  const runs = new Map(sizes.map((n) => [n, [] as Figures[]]));
  for (const n of sizes) for (let i = 0; i < 1000; i++) await onceFor(n)(); // warm-up, JIT
  for (let r = 0; r < ROUNDS; r++) {
    const samples = new Map(sizes.map((n) => [n, [] as number[]]));
    const cpu = new Map(sizes.map((n) => [n, 0]));
    const end = performance.now() + DURATION_MS * sizes.length;
    while (performance.now() < end) {
      for (const n of sizes) {
        const once = onceFor(n);
        const mine = samples.get(n)!;
        const before = process.threadCpuUsage();
        for (let i = 0; i < BATCH; i++) {
          const t = performance.now();
          await once();
          mine.push((performance.now() - t) * 1000);
        }
        const used = process.threadCpuUsage(before);
        cpu.set(n, cpu.get(n)! + used.user + used.system);
      }
    }
    for (const n of sizes) {
      const mine = samples.get(n)!.sort((a, b) => a - b);
      runs.get(n)!.push({
        cpuMicros: cpu.get(n)! / mine.length,
        p50Micros: mine[Math.floor(mine.length / 2)]!,
        p99Micros: mine[Math.floor(mine.length * 0.99)]!,
      });
    }
  }
  return runs;
}

interface Row {
  path: string;
  n: number;
  /** What `n` counts. */
  of: "NetworkPolicies" | "cached digests";
  figures: Figures;
  spread: string;
}

function report(rows: Row[]): { name: string; growth: number }[] {
  const f = (n: number) => n.toFixed(1).padStart(8);
  for (const r of rows) {
    console.log(
      `${r.path.padEnd(34)} ${r.n.toLocaleString("en-US").padStart(7)} ${r.of.padEnd(15)}` +
        `   CPU ${f(r.figures.cpuMicros)} µs (rounds ${r.spread})` +
        `   wall p50 ${f(r.figures.p50Micros)} µs, p99 ${f(r.figures.p99Micros)} µs`,
    );
  }
  const growths = [];
  for (const path of [...new Set(rows.map((r) => r.path))]) {
    const mine = rows.filter((r) => r.path === path).sort((a, b) => a.n - b.n);
    const growth = mine.at(-1)!.figures.cpuMicros / mine[0]!.figures.cpuMicros - 1;
    console.log(
      `${path}: growth ${mine[0]!.n} → ${mine.at(-1)!.n}: ${(growth * 100).toFixed(1)}% ` +
        `(target <= ${GROWTH_TARGET * 100}%: ${growth <= GROWTH_TARGET ? "met" : "NOT met"})`,
    );
    growths.push({ name: path, growth });
  }
  return growths;
}

// ---------------------------------------------------------------- the two paths

async function inProcess(
  signed: Awaited<ReturnType<typeof signedImages>>,
  evidence: EvidenceProvider,
  body: unknown,
): Promise<Row[]> {
  const states = new Map<number, StateSource>();
  for (const n of SIZES) {
    const parsed = parseState({ ...clusterObjects(), networkPolicies: namespacePolicies(n) });
    if (parsed.networkPolicies.length !== n) throw new Error(`expected ${n} NetworkPolicies`);
    const cluster = createClusterState(parsed);
    const snapshot = {
      policy: signed.policy,
      cluster,
      rbac: parsed.rbac,
      ready: true,
      watches: [],
    };
    states.set(n, { snapshot: () => snapshot, close: () => Promise.resolve() });
  }
  const once = (state: StateSource) => async () => {
    const result = await admit(body, { state, now: () => signed.now, deadlineMs: 8000, evidence });
    if (!result.answered || !result.outcome.allowed) {
      const why = result.answered ? result.outcome.message : result.reason;
      throw new Error(`the review is not allowed: ${why ?? ""}`);
    }
  };
  const runs = await interleaved(SIZES, (n) => once(states.get(n)!));
  return SIZES.map((n) => ({
    path: "in process (engine, admit)",
    n,
    of: "NetworkPolicies" as const,
    figures: medianOf(runs.get(n)!),
    spread: spread(runs.get(n)!),
  }));
}

/**
 * The verification cache's own growth: the same admission (the smallest namespace) with only its
 * two images cached, and with `DIGESTS` more beside them.
 */
async function byCachedDigests(
  signed: Awaited<ReturnType<typeof signedImages>>,
  few: Awaited<ReturnType<typeof verifiedDigests>>,
  many: Awaited<ReturnType<typeof verifiedDigests>>,
  body: unknown,
): Promise<Row[]> {
  const parsed = parseState({
    ...clusterObjects(),
    networkPolicies: namespacePolicies(Math.min(...SIZES)),
  });
  const snapshot = {
    policy: signed.policy,
    cluster: createClusterState(parsed),
    rbac: parsed.rbac,
    ready: true,
    watches: [],
  };
  const state: StateSource = { snapshot: () => snapshot, close: () => Promise.resolve() };
  const evidence = new Map([
    [few.size(), few.provide],
    [many.size(), many.provide],
  ]);
  const sizes = [...evidence.keys()];
  const runs = await interleaved(sizes, (n) => async () => {
    const result = await admit(body, {
      state,
      now: () => signed.now,
      deadlineMs: 8000,
      evidence: evidence.get(n),
    });
    if (!result.answered || !result.outcome.allowed) throw new Error("the review is not allowed");
  });
  return sizes.map((n) => ({
    path: "in process (admit), verification cache",
    n,
    of: "cached digests" as const,
    figures: medianOf(runs.get(n)!),
    spread: spread(runs.get(n)!),
  }));
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function retry(work: () => Promise<void>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * The object as @kubernetes/client-node's typed serializer expects it: it writes a NetworkPolicy's
 * peer list from `_from` and would drop a plain `from`, opening the policy.
 */
function forClient(o: KubernetesObject): KubernetesObject {
  if (o.kind !== "NetworkPolicy") return o;
  const np = structuredClone(o) as KubernetesObject & {
    spec: { ingress?: Record<string, unknown>[] };
  };
  for (const rule of np.spec.ingress ?? []) {
    rule._from = rule.from;
    delete rule.from;
  }
  return np;
}

/** Creates the objects, at most CREATE_CONCURRENCY at once. */
async function createAll(api: KubernetesObjectApi, objects: KubernetesObject[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < objects.length) await api.create(forClient(objects[next++]!));
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
}

/**
 * The watch path: one API server, one namespace per size (each holding its NetworkPolicies, so
 * the cluster holds their sum), the review sent into each, the sizes measured side by side.
 */
async function watchPath(
  signed: Awaited<ReturnType<typeof signedImages>>,
  evidence: EvidenceProvider,
  body: unknown,
): Promise<Row[]> {
  const binDir = k8sBinDir();
  if (!binDir) throw new Error("kube-apiserver/etcd not built: run scripts/build-k8s-binaries.sh");
  const cluster = await startCluster({ binDir });
  const logger = pino({ level: "silent" });
  const watch = new ClusterWatch({
    kubeConfig: cluster.kubeConfig(),
    policy: signed.policy,
    staleAfterMs: 600_000,
    logger,
  });
  const app = buildApp(
    { logger, bodyLimit: 3 * 1024 * 1024, maxJsonDepth: 64, deadlineMs: 8000 },
    { state: watch, metrics: createMetrics(), now: () => signed.now, evidence },
  );
  try {
    const api = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
    for (const file of ["mcpwardenpolicies.yaml", "mcpwardenexceptions.yaml"]) {
      const text = readFileSync(new URL(`../deploy/crds/${file}`, import.meta.url), "utf8");
      await api.create(parse(text) as KubernetesObject);
    }
    for (const name of [NAMESPACE, "mcp-warden-system", ...SIZES.map(scaleNamespace)])
      await api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
    const objects = clusterObjects();
    const rbac = objects.rbac.flatMap(([, list]): KubernetesObject[] => [...list]);
    await createAll(api, rbac);
    const exceptions = objects.exceptions.map((e) => ({
      ...e,
      spec: { ...e.spec, namespaces: SIZES.map(scaleNamespace) },
    }));
    // The exception's CRD serves a moment after it is created.
    await retry(() => createAll(api, exceptions), 30_000);
    watch.start();
    await until(() => watch.snapshot(signed.now).ready, 60_000, "watches synced");
    await until(
      () => watch.snapshot(signed.now).cluster.exceptionsNamed("mcp-fs-secret-env").length === 1,
      30_000,
      "the exception seen",
    );
    for (const n of SIZES) {
      const started = performance.now();
      await createAll(api, namespacePolicies(n, scaleNamespace(n)));
      await until(
        () => watch.snapshot(signed.now).cluster.networkPoliciesIn(scaleNamespace(n)).length === n,
        300_000,
        `${n} NetworkPolicies in the watch`,
      );
      console.log(
        `watch path: ${n.toLocaleString("en-US")} NetworkPolicies created in ${scaleNamespace(n)} ` +
          `and watched (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
    const bodies = new Map(SIZES.map((n) => [n, reviewIn(body, scaleNamespace(n))]));
    const inject = (n: number) => async () => {
      const res = await app.inject({
        method: "POST",
        url: "/validate",
        payload: bodies.get(n) as object,
      });
      const answer = res.json<{ response: { allowed: boolean } }>();
      if (res.statusCode !== 200 || !answer.response.allowed)
        throw new Error(`the review is not allowed: ${res.body}`);
    };
    const decide = (n: number) => async () => {
      const result = await admit(bodies.get(n), {
        state: watch,
        now: () => signed.now,
        deadlineMs: 8000,
        evidence,
      });
      if (!result.answered || !result.outcome.allowed) {
        const why = result.answered ? result.outcome.message : result.reason;
        throw new Error(`the review is not allowed: ${why ?? ""}`);
      }
    };
    const decided = await interleaved(SIZES, decide);
    const injected = await interleaved(SIZES, inject);
    return SIZES.flatMap((n) => [
      {
        path: "watch path (admit)",
        n,
        of: "NetworkPolicies" as const,
        figures: medianOf(decided.get(n)!),
        spread: spread(decided.get(n)!),
      },
      {
        path: "watch path (webhook route)",
        n,
        of: "NetworkPolicies" as const,
        figures: medianOf(injected.get(n)!),
        spread: spread(injected.get(n)!),
      },
    ]);
  } finally {
    await app.close();
    await watch.close();
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const signed = await signedImages();
  let evidence, few;
  try {
    evidence = await verifiedDigests(signed.images, signed.policy, DIGESTS);
    few = await verifiedDigests(signed.images, signed.policy, 0);
  } finally {
    // Verified once; from here on no request can reach the registry.
    await signed.registry.stop();
  }
  const body = review(signed.images[0]!, signed.images[1]!);
  console.log(
    `review: bench:webhook's Deployment; ${evidence.size().toLocaleString("en-US")} image digests ` +
      `in the verification cache; sizes ${SIZES.join(", ")}; ${DURATION_MS} ms per measurement, ` +
      `median of ${ROUNDS} rounds`,
  );
  const rows = await inProcess(signed, evidence.provide, body);
  rows.push(...(await byCachedDigests(signed, few, evidence, body)));
  if (process.env.BENCH_SCALE_WATCH !== "0")
    rows.push(...(await watchPath(signed, evidence.provide, body)));
  report(rows);
  // Each size beside the smallest on the same path, measured in the same run.
  printBenchResult(
    "scale",
    rows.map((r) => {
      const smallest = rows.filter((s) => s.path === r.path).reduce((a, b) => (b.n < a.n ? b : a));
      return {
        name: `${r.path}, ${r.n} ${r.of}: CPU per admission`,
        value: r.figures.cpuMicros,
        unit: "µs",
        baseline: { name: `${smallest.n} ${smallest.of}`, value: smallest.figures.cpuMicros },
      };
    }),
  );
}

if (import.meta.main) await main();
