/**
 * The API server's faults, with real processes and sockets: `mcp-warden serve --stale-after` as a
 * process, authenticated as its ServiceAccount with deploy/rbac.yaml, watching a real
 * kube-apiserver (etcd beside it) through a TCP proxy on loopback (test/support/fault-proxy.ts)
 * that can cut its connections. Reviews are posted to the webhook directly while the fault lasts:
 * a compliant pod in a namespace a deny-all NetworkPolicy isolates (right answer: allowed; with
 * stale cluster state, a fail-closed denial), a compliant pod in a namespace without one and a
 * privileged pod (right answer: denied, whatever the cluster holds). Recovery: from the fault's
 * end until every watch is connected again (mcp_warden_cluster_state_stale_seconds 0 for all)
 * and the isolated pod is allowed again, with no restart of the webhook.
 */
import { request } from "node:https";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubernetesObjectApi } from "@kubernetes/client-node";
import { issueServingCert, makeTestCA } from "../e2e/support/certs.ts";
import { startCluster, type TestCluster } from "../e2e/support/cluster.ts";
import { readYaml } from "../e2e/support/manifests.ts";
import { startWebhookProcess, type WebhookProcess } from "../e2e/support/webhook-process.ts";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.ts";
import { denyAll } from "../support/policies.ts";
import {
  count,
  emptyResult,
  offlinePolicyFile,
  post,
  review,
  type FaultResult,
} from "./scenarios.ts";

const TARGET = "mcp-warden serve (process, --stale-after 2s) → real kube-apiserver";
/** `--webhook-timeout` 10 s leaves the webhook an 8 s admission deadline. */
const DEADLINE_MS = 8000;
const STALE_AFTER = "2s";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ApiBench {
  cluster: TestCluster;
  proxy: FaultProxy;
  webhook: WebhookProcess;
  ca: string;
  objects: KubernetesObjectApi;
  stop(): Promise<void>;
}

/** A real API server, the webhook watching it through the proxy, the namespaces and RBAC. */
export async function startApiBench(): Promise<ApiBench> {
  const cluster = await startCluster();
  let proxy: FaultProxy | undefined;
  try {
    const kc = cluster.kubeConfig();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const core = kc.makeApiClient(CoreV1Api);
    for (const crd of [
      ...readYaml("deploy/crds/mcpwardenpolicies.yaml"),
      ...readYaml("deploy/crds/mcpwardenexceptions.yaml"),
    ])
      await objects.create(crd);
    for (const name of ["team-a", "team-b", "mcp-warden-system"])
      await core.createNamespace({ body: { metadata: { name } } });
    await objects.create(denyAll("team-a"));
    for (const object of readYaml("deploy/rbac.yaml")) await objects.create(object);
    proxy = await startFaultProxy(new URL(cluster.server).host);
    const dir = mkdtempSync(join(tmpdir(), "mcp-warden-faults-api-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      readFileSync(await cluster.kubeconfigFileFor("webhook"), "utf8").replaceAll(
        cluster.server,
        `https://${proxy.host}`,
      ),
    );
    const ca = await makeTestCA();
    const tls = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
    const webhook = await startWebhookProcess({
      kubeconfig,
      cert: tls.cert,
      key: tls.key,
      ca: ca.cert,
      args: [
        `--policy=${offlinePolicyFile(dir)}`,
        `--stale-after=${STALE_AFTER}`,
        "--log-level=warn",
      ],
      readyWithinMs: 60_000,
    });
    const p = proxy;
    return {
      cluster,
      proxy: p,
      webhook,
      ca: ca.cert,
      objects,
      async stop() {
        await webhook.stop();
        await p.close();
        await cluster.stop();
      },
    };
  } catch (e) {
    await proxy?.close();
    await cluster.stop();
    throw e;
  }
}

/** The highest mcp_warden_cluster_state_stale_seconds of any watch, from the webhook's /metrics. */
function staleSeconds(b: ApiBench): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port: b.webhook.port, path: "/metrics", ca: b.ca, timeout: 5000 },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => {
          const values = [
            ...text.matchAll(/^mcp_warden_cluster_state_stale_seconds\{.*\} (\S+)$/gm),
          ];
          resolve(values.length === 0 ? undefined : Math.max(...values.map((m) => Number(m[1]))));
        });
        res.on("error", () => resolve(undefined));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** The three reviews and their steady-state decisions. */
const REVIEWS = [
  { name: "isolated", body: () => review("i", false, "team-a"), allowed: true },
  { name: "unisolated", body: () => review("u", false, "team-b"), allowed: false },
  { name: "privileged", body: () => review("p", true, "team-a"), allowed: false },
] as const;

async function steady(b: ApiBench): Promise<void> {
  for (const r of REVIEWS) {
    const p = await post(b.webhook.port, b.ca, r.body());
    if (p.allowed !== r.allowed)
      throw new Error(`unexpected steady state for ${r.name}: ${JSON.stringify(p)}`);
  }
}

/**
 * Runs `inject` (which makes the fault and resolves when it has ended) while a client posts the
 * three reviews in turn and the stale-seconds metric is sampled; then waits for recovery.
 */
async function underFault(
  b: ApiBench,
  fault: string,
  inject: () => Promise<void>,
  recoverWithinMs = 90_000,
): Promise<FaultResult & { peakStale: number }> {
  await steady(b);
  const r = { ...emptyResult(fault, TARGET, DEADLINE_MS), peakStale: 0 };
  let stop = false;
  let deniedIsolated = 0;
  const client = (async () => {
    for (let n = 0; !stop; n++) {
      const which = REVIEWS[n % REVIEWS.length]!;
      const p = await post(b.webhook.port, b.ca, which.body());
      count(r, p, which.allowed);
      if (which.allowed && p.allowed === false) deniedIsolated++;
      await sleep(20);
    }
  })();
  const sampler = (async () => {
    while (!stop) {
      r.peakStale = Math.max(r.peakStale, (await staleSeconds(b)) ?? 0);
      await sleep(250);
    }
  })();
  await inject();
  const ended = performance.now();
  while (performance.now() - ended < recoverWithinMs) {
    const fresh = (await staleSeconds(b)) === 0;
    const p = await post(b.webhook.port, b.ca, REVIEWS[0].body());
    if (fresh && p.allowed === true) {
      r.recoverMs = performance.now() - ended;
      break;
    }
    await sleep(100);
  }
  stop = true;
  await Promise.all([client, sampler]);
  // Recovered, and the reviews to deny still denied.
  for (const which of REVIEWS.slice(1))
    if ((await post(b.webhook.port, b.ca, which.body())).allowed) r.wrongAllows++;
  r.behaviour =
    `${r.decisions} reviews: ${r.correct} right, ${r.failClosed} fail-closed denials ` +
    `(${deniedIsolated} of the isolated pod, its NetworkPolicy unverifiable once the watches were stale past ${STALE_AFTER}); ` +
    `stale_seconds peaked at ${r.peakStale.toFixed(0)} s`;
  return r;
}

/** kube-apiserver stopped and started again (same port, flags, etcd) after `downMs`. */
export async function apiServerRestarted(b: ApiBench, downMs = 3000): Promise<FaultResult> {
  const r = await underFault(b, "API server restarted (stopped, started again)", async () => {
    await sleep(500);
    await b.cluster.restartApiServer(downMs);
  });
  r.behaviour = `down ${downMs / 1000} s and until ready again; ${r.behaviour}`;
  return r;
}

/**
 * The webhook's connections to the API server cut (every watch dropped mid-stream), new ones
 * refused for `refuseMs` (shorter than --stale-after: the cache carries the decisions over).
 */
export async function watchDropped(b: ApiBench, refuseMs = 1000): Promise<FaultResult> {
  const r = await underFault(b, "watches dropped (connections cut)", async () => {
    await sleep(500);
    await b.proxy.set("refuse");
    await sleep(refuseMs);
    await b.proxy.set("pass");
  });
  r.behaviour = `cut, reconnection refused ${refuseMs / 1000} s; ${r.behaviour}`;
  return r;
}

/**
 * The webhook's ServiceAccount loses its RBAC (the ClusterRoleBinding of deploy/rbac.yaml deleted)
 * and its watches are dropped, so every list and watch is refused (403) for `downMs`; then the
 * binding is restored.
 */
export async function credentialsRevoked(b: ApiBench, downMs = 4000): Promise<FaultResult> {
  const binding = readYaml("deploy/rbac.yaml").find(
    (o) => o.kind === "ClusterRoleBinding" && o.metadata?.name === "mcp-warden",
  )!;
  const r = await underFault(b, "credentials revoked (RBAC binding deleted)", async () => {
    await sleep(500);
    await b.objects.delete(binding);
    // An established watch outlives the binding; a new one (as after any reconnect) does not.
    await b.proxy.set("refuse");
    await b.proxy.set("pass");
    await sleep(downMs);
    const { metadata, ...rest } = binding;
    await b.objects.create({ ...rest, metadata: { name: metadata!.name! } });
  });
  r.behaviour = `403 on every list and watch for ${downMs / 1000} s; ${r.behaviour}`;
  return r;
}
