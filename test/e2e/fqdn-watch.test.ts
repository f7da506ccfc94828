// The host-naming egress policies as cluster state on a real kube-apiserver: the webhook (running
// with exactly deploy/rbac.yaml) and `check --cluster` read CiliumNetworkPolicies,
// CiliumClusterwideNetworkPolicies and ClusterNetworkPolicies once their CRDs are installed, and
// judge as before, without staleness, while they are not.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { parse, parseAllDocuments } from "yaml";
import { apiRequest } from "../../cluster/api.ts";
import { runCli } from "../support/cli.ts";
import { ciliumPolicy, DNS_EGRESS, networkCrdDir } from "../support/fqdn-policies.ts";
import { judgeAdmission } from "../../webhook/admission.ts";
import { ClusterWatch } from "../../webhook/cluster-watch.ts";
import { compliantPodSpec, offlinePolicy } from "../support/policies.ts";
import { statusMessage } from "./support/api-errors.ts";
import { issueServingCert, makeTestCA } from "./support/certs.ts";
import { k8sBinDir, SKIP_NO_BINARIES, startCluster, type TestCluster } from "./support/cluster.ts";
import { deployment, readYaml, registerWebhook } from "./support/manifests.ts";
import { startWebhookProcess, type WebhookProcess } from "./support/webhook-process.ts";

const binDir = k8sBinDir();
const crdDir = binDir ? networkCrdDir() : undefined;
const skip = !binDir
  ? SKIP_NO_BINARIES
  : !crdDir
    ? "network CRDs not fetched; run scripts/fetch-network-crds.sh"
    : false;

/** Retries `fn` until it stops throwing, for state that reaches the webhook through a watch. */
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

/** What the API server says when it refuses, or undefined when it admits. */
async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => statusMessage(err),
  );
}

/** Ingress isolation only: the pods' egress is left to the host-naming policies. */
function ingressOnly(namespace: string): KubernetesObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "ingress-only", namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  } as KubernetesObject;
}

/** Egress to DNS and api.github.com:443 only, for the pods labelled `app`. */
function declaredHosts(namespace: string, app: string): KubernetesObject {
  return ciliumPolicy(
    `${app}-egress`,
    {
      egress: [
        DNS_EGRESS,
        {
          toFQDNs: [{ matchName: "api.github.com" }],
          toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
        },
      ],
    },
    { app },
    namespace,
  );
}

/** Egress to every host name, for the pods labelled `app`. */
function everyHost(namespace: string, app: string): KubernetesObject {
  return ciliumPolicy(
    `${app}-egress`,
    {
      egress: [
        DNS_EGRESS,
        {
          toFQDNs: [{ matchPattern: "*" }],
          toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
        },
      ],
    },
    { app },
    namespace,
  );
}

const pod = (namespace: string, name: string): KubernetesObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name } },
    spec: compliantPodSpec(),
  }) as KubernetesObject;

interface JsonReport {
  results: { name: string; allowed: boolean; findings: { rule: string; message: string }[] }[];
}

describe("host-naming egress policies as cluster state", { skip, timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let objects: KubernetesObjectApi;
  let core: CoreV1Api;
  let webhook: WebhookProcess;

  const egressFindings = (report: JsonReport, name: string) =>
    report.results
      .find((r) => r.name === name)
      ?.findings.filter((f) => f.rule === "network/egress-restricted")
      .map((f) => f.message);
  const checkCluster = async () => {
    const r = await runCli([
      "check",
      "--cluster",
      "--kubeconfig",
      cluster.kubeconfigPath,
      "--namespace=free",
      "--format=json",
    ]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return JSON.parse(r.stdout) as JsonReport;
  };

  before(async () => {
    cluster = await startCluster({ binDir });
    const kc = cluster.kubeConfig();
    objects = KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(CoreV1Api);
    for (const crd of [
      ...readYaml("deploy/crds/mcpwardenpolicies.yaml"),
      ...readYaml("deploy/crds/mcpwardenexceptions.yaml"),
    ]) {
      await objects.create(crd);
    }
    for (const [name, enforce] of [
      ["team-a", true],
      ["free", false],
      ["mcp-warden-system", false],
    ] as const) {
      await core.createNamespace({
        body: { metadata: { name, labels: enforce ? { "mcp-warden.dev/enforce": "true" } : {} } },
      });
    }
    const policy = parse(
      readFileSync(new URL("../../policies/default.yaml", import.meta.url), "utf8"),
    ) as KubernetesObject & { spec: { rules: Record<string, string> } };
    // No image here is in a registry.
    for (const rule of [
      "image/signed",
      "image/evaluated",
      "rbac/within-declared",
      "network/within-declared",
    ])
      policy.spec.rules[rule] = "off";
    await eventually(() => objects.create(policy));
    for (const ns of ["team-a", "free"]) await objects.create(ingressOnly(ns));
    // Running in `free`, which the webhook does not judge, for check --cluster to judge.
    for (const name of ["limited", "open", "unlimited"])
      await objects.create(deployment("free", name, compliantPodSpec()));

    for (const object of readYaml("deploy/rbac.yaml")) await objects.create(object);
    const ca = await makeTestCA();
    const serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
    webhook = await startWebhookProcess({
      kubeconfig: await cluster.kubeconfigFileFor("webhook"),
      cert: serving.cert,
      key: serving.key,
      ca: ca.cert,
      args: ["--policy-name=default"],
    });
    await registerWebhook(objects, webhook.url, ca.cert);
    await eventually(async () => {
      const text = await refusal(
        core.createNamespacedPod({
          namespace: "team-a",
          body: pod("team-a", "probe"),
          dryRun: "All",
        }),
      );
      assert.match(text ?? "", /mcp-warden denied/);
    });
  });

  after(async () => {
    await webhook?.stop();
    await cluster?.stop();
  });

  test("without the CRDs, the webhook judges NetworkPolicies alone, and nothing is stale", async () => {
    const text = await refusal(
      core.createNamespacedPod({
        namespace: "team-a",
        body: pod("team-a", "limited"),
        dryRun: "All",
      }),
    );
    assert.match(
      text ?? "",
      /\[network\/egress-restricted\] metadata\.labels: no NetworkPolicy in namespace team-a selects this pod with policyTypes Egress/,
    );
    assert.doesNotMatch(text ?? "", /watch|cannot verify/);
    // Everything else of the pod passes: with egress isolation it is admitted.
    await objects.create({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "isolated-egress", namespace: "team-a" },
      spec: { podSelector: { matchLabels: { app: "isolated" } }, policyTypes: ["Egress"] },
    } as KubernetesObject);
    const admitted = await eventually(() =>
      core.createNamespacedPod({
        namespace: "team-a",
        body: pod("team-a", "isolated"),
        dryRun: "All",
      }),
    );
    assert.equal(admitted.metadata?.name, "isolated");

    const report = await checkCluster();
    assert.equal(egressFindings(report, "limited")?.length, 1);
    assert.match(egressFindings(report, "limited")![0]!, /no NetworkPolicy in namespace free/);
  });

  test("CRDs installed later are watched: a CiliumNetworkPolicy to declared hosts isolates the pod, one to every host is reported", async () => {
    for (const file of [
      "cilium.io_ciliumnetworkpolicies.yaml",
      "cilium.io_ciliumclusterwidenetworkpolicies.yaml",
      "policy.networking.k8s.io_clusternetworkpolicies.yaml",
    ]) {
      for (const doc of parseAllDocuments(readFileSync(`${crdDir!}/${file}`, "utf8"))) {
        const crd = doc.toJS() as KubernetesObject | null;
        if (crd) await objects.create(crd);
      }
    }
    await eventually(() =>
      apiRequest(cluster.kubeConfig(), "/apis/cilium.io/v2/ciliumnetworkpolicies"),
    );
    for (const ns of ["team-a", "free"]) {
      await objects.create(declaredHosts(ns, "limited"));
      await objects.create(everyHost(ns, "open"));
    }

    const admitted = await eventually(() =>
      core.createNamespacedPod({
        namespace: "team-a",
        body: pod("team-a", "limited"),
        dryRun: "All",
      }),
    );
    assert.equal(admitted.metadata?.name, "limited");
    const open = await eventually(async () => {
      const text = await refusal(
        core.createNamespacedPod({ namespace: "team-a", body: pod("team-a", "open") }),
      );
      assert.match(text ?? "", /network\/egress-restricted/);
      return text ?? "";
    });
    assert.match(
      open,
      /\[network\/egress-restricted\] metadata\.labels: CiliumNetworkPolicy team-a\/open-egress spec\.egress\[1\] opens the pod to every host name: pattern "\*" matches them all/,
    );
    // A pod no host-naming policy selects is judged as before.
    const unlimited = await refusal(
      core.createNamespacedPod({
        namespace: "team-a",
        body: pod("team-a", "unlimited"),
        dryRun: "All",
      }),
    );
    assert.match(unlimited ?? "", /no NetworkPolicy in namespace team-a selects this pod/);

    // check --cluster sees the same.
    const report = await checkCluster();
    assert.deepEqual(egressFindings(report, "limited"), []);
    assert.match(
      egressFindings(report, "open")?.join("\n") ?? "",
      /CiliumNetworkPolicy free\/open-egress spec\.egress\[1\] opens the pod to every host name/,
    );
    assert.match(
      egressFindings(report, "unlimited")?.join("\n") ?? "",
      /no NetworkPolicy in namespace free/,
    );
  });

  test("a CiliumClusterwideNetworkPolicy counts too", async () => {
    await objects.create({
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name: "every-host" },
      spec: {
        endpointSelector: { matchLabels: { app: "limited" } },
        egress: [
          {
            toFQDNs: [{ matchPattern: "*.*" }],
            toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
          },
        ],
      },
    } as KubernetesObject);
    const text = await eventually(async () => {
      const t = await refusal(
        core.createNamespacedPod({
          namespace: "team-a",
          body: pod("team-a", "limited"),
          dryRun: "All",
        }),
      );
      assert.match(t ?? "", /CiliumClusterwideNetworkPolicy every-host/);
      return t ?? "";
    });
    assert.match(text, /opens the pod to every host name: pattern "\*\.\*" matches them all/);
  });

  test("a ClusterNetworkPolicy selecting opted-in namespaces by label isolates their pods", async () => {
    const before = await refusal(
      core.createNamespacedPod({
        namespace: "team-a",
        body: pod("team-a", "subject"),
        dryRun: "All",
      }),
    );
    assert.match(before ?? "", /no NetworkPolicy in namespace team-a selects this pod/);
    await objects.create({
      apiVersion: "policy.networking.k8s.io/v1alpha2",
      kind: "ClusterNetworkPolicy",
      metadata: { name: "opted-in" },
      spec: {
        tier: "Admin",
        priority: 10,
        subject: { namespaces: { matchLabels: { "mcp-warden.dev/enforce": "true" } } },
        egress: [
          {
            action: "Accept",
            to: [{ domainNames: ["api.github.com"] }],
            protocols: [{ tcp: { destinationPort: { number: 443 } } }],
          },
          { action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] },
        ],
      },
    } as KubernetesObject);
    const admitted = await eventually(() =>
      core.createNamespacedPod({
        namespace: "team-a",
        body: pod("team-a", "subject"),
        dryRun: "All",
      }),
    );
    assert.equal(admitted.metadata?.name, "subject");
  });

  test("a served kind whose watch cannot sync denies the network rules, saying why", async () => {
    // dev may read what the webhook reads, except Cilium's policies.
    const [role] = readYaml("deploy/rbac.yaml").filter((o) => o.kind === "ClusterRole") as (
      KubernetesObject | undefined
    )[];
    const rules = (role as unknown as { rules: { apiGroups: string[] }[] }).rules.filter(
      (r) => !r.apiGroups.includes("cilium.io"),
    );
    await objects.create({ ...role, metadata: { name: "no-cilium" }, rules } as KubernetesObject);
    await objects.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "no-cilium" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "no-cilium" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "dev" }],
    } as KubernetesObject);
    const watch = new ClusterWatch({
      kubeConfig: cluster.kubeConfig("dev"),
      policy: offlinePolicy(),
      staleAfterMs: 1000,
      logger: pino({ level: "silent" }),
    });
    try {
      watch.start();
      // Everything syncs but the two Cilium kinds, which the CRD watches found served.
      const notReady = await eventually(async () => {
        const s = watch.snapshot(new Date());
        assert.ok(
          s.watches.some((w) => w.resource === "clusternetworkpolicies" && w.synced) &&
            s.watches
              .filter((w) => w.resource.startsWith("customresourcedefinitions/"))
              .every((w) => w.synced) &&
            s.watches.filter((w) => w.resource.startsWith("cilium")).length === 2,
          JSON.stringify(s.watches),
        );
        return Promise.resolve(s.notReady ?? "");
      });
      for (const kind of ["ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies"])
        assert.ok(notReady.split(/[ ,]+/).includes(kind), notReady);
      assert.ok(!notReady.split(/[ ,]+/).includes("clusternetworkpolicies"), notReady);
      const s = watch.snapshot(new Date());
      const outcome = judgeAdmission(
        {
          uid: "u",
          kind: { group: "", version: "v1", kind: "Pod" },
          operation: "CREATE",
          namespace: "team-a",
          object: pod("team-a", "limited"),
        },
        { policy: s.policy, cluster: s.cluster, now: new Date() },
      );
      assert.equal(outcome.allowed, false);
      assert.match(
        outcome.message ?? "",
        /\[network\/egress-restricted\] metadata\.labels: cannot verify egress isolation: the (cilium|ciliumclusterwide)networkpolicies watch has not synced/,
      );
      assert.match(outcome.message ?? "", /the ciliumnetworkpolicies watch has not synced/);
      assert.match(
        outcome.message ?? "",
        /the ciliumclusterwidenetworkpolicies watch has not synced/,
      );
    } finally {
      await watch.close();
    }
  });
});
