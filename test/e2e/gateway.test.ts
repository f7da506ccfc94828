// runtime/gateway-required and runtime/gateway-identity at admission, on a real kube-apiserver:
// `mcp-warden serve` as its own process, the namespace selected by its labels as the cluster holds
// them, and the set `mcp-warden generate --gateway-image` writes applied object by object.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubernetesObject,
  type V1PodSpec,
} from "@kubernetes/client-node";
import { parse } from "yaml";
import { generateKubernetesManifests } from "../../policies/deployment/kubernetes-manifests.ts";
import type { DeclaredPermissions } from "../../policies/evaluation/predicate.ts";
import { GATEWAY_LABEL } from "../../policies/workload/gateway-contract.ts";
import { runCli } from "../support/cli.ts";
import { compliantPodSpec } from "../support/policies.ts";
import { statusMessage } from "./support/api-errors.ts";
import { issueServingCert, makeTestCA } from "./support/certs.ts";
import { k8sBinDir, SKIP_NO_BINARIES, startCluster, type TestCluster } from "./support/cluster.ts";
import { readYaml, registerWebhook } from "./support/manifests.ts";
import { startWebhookProcess, type WebhookProcess } from "./support/webhook-process.ts";

const binDir = k8sBinDir();
const root = new URL("../../", import.meta.url);
const NS = "mcp-servers";
const SERVER_IMAGE = `ghcr.io/acme/mcp-weather@sha256:${"3f0c1e6b0a7d2c4e".repeat(4)}`;
const GATEWAY_IMAGE = `ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:${"b".repeat(64)}`;
const PERMISSIONS: DeclaredPermissions = {
  egress: [],
  ingress: {
    ports: [8080],
    agents: [{ name: "planner", namespace: "agents", labels: { app: "planner" } }],
  },
  filesystem: [],
  credentials: [],
};

async function eventually<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
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

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return statusMessage(err);
  }
  assert.fail("expected the API server to refuse the request");
}

/**
 * The object as @kubernetes/client-node's typed serializer expects it: it writes a NetworkPolicy
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

function generated(name: string, gateway: boolean): KubernetesObject[] {
  return generateKubernetesManifests({
    image: SERVER_IMAGE,
    serverName: `io.github.acme/${name}`,
    version: "1.0.0",
    permissions: PERMISSIONS,
    namespace: NS,
    ...(gateway ? { gateway: { image: GATEWAY_IMAGE } } : {}),
  }).objects;
}

describe(
  "the runtime gateway at admission on a real kube-apiserver",
  { skip: binDir ? false : SKIP_NO_BINARIES, timeout: 300_000 },
  () => {
    let cluster: TestCluster;
    let objects: KubernetesObjectApi;
    let core: CoreV1Api;
    let webhook: WebhookProcess;

    before(async () => {
      cluster = await startCluster({ binDir });
      const kc = cluster.kubeConfig();
      objects = KubernetesObjectApi.makeApiClient(kc);
      core = kc.makeApiClient(CoreV1Api);
      for (const crd of [
        ...readYaml("deploy/crds/mcpwardenpolicies.yaml"),
        ...readYaml("deploy/crds/mcpwardenexceptions.yaml"),
        ...readYaml("deploy/crds/mcpwardenaccess.yaml"),
      ])
        await objects.create(crd);
      // The namespace opts in to the webhook and is selected by the policy through its labels.
      await core.createNamespace({
        body: {
          metadata: {
            name: NS,
            labels: { "mcp-warden.dev/enforce": "true", "mcp-warden.dev/gateway": "required" },
          },
        },
      });
      await core.createNamespace({ body: { metadata: { name: "mcp-warden-system" } } });
      const policy = parse(
        readFileSync(new URL("policies/default.yaml", root), "utf8"),
      ) as KubernetesObject & {
        spec: Record<string, Record<string, unknown>>;
      };
      // No image here is in a registry: the registry rules are judged in test/supply-chain/.
      Object.assign(policy.spec.rules!, {
        "image/signed": "off",
        "image/evaluated": "off",
        "rbac/within-declared": "off",
      });
      policy.spec.runtime = {
        gateway: { image: GATEWAY_IMAGE },
        gatewayRequired: {
          namespaceSelector: { matchLabels: { "mcp-warden.dev/gateway": "required" } },
        },
      };
      await eventually(() => objects.create(policy), 30_000);
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
      const probe = generated("probe", false).find((o) => o.kind === "Deployment")!;
      await eventually(async () => {
        const text = await rejection(objects.create(probe, undefined, "All"));
        assert.match(text, /runtime\/gateway-required/);
      }, 30_000);
    });

    after(async () => {
      await webhook?.stop();
      await cluster?.stop();
    });

    test("a server Deployment without a gateway in a selected namespace is denied by runtime/gateway-required", async () => {
      const set = generated("weather-direct", false);
      for (const o of set.filter((x) => x.kind !== "Deployment"))
        await objects.create(forClient(o));
      const text = await rejection(objects.create(set.find((o) => o.kind === "Deployment")!));
      assert.match(text, /admission webhook "validate\.mcp-warden\.dev" denied the request/);
      assert.match(
        text,
        /\[runtime\/gateway-required\] spec\.template\.metadata\.labels: namespace mcp-servers is selected by spec\.runtime\.gatewayRequired\.namespaceSelector.*its podSelector does not require the gateway's label/,
      );
    });

    test("a pod posing as the gateway with another image is denied by runtime/gateway-identity", async () => {
      const spec = compliantPodSpec();
      const text = await rejection(
        core.createNamespacedPod({
          namespace: NS,
          body: {
            metadata: { name: "impostor", labels: { app: "impostor", [GATEWAY_LABEL]: "weather" } },
            spec: spec as unknown as V1PodSpec,
          },
        }),
      );
      assert.match(
        text,
        /\[runtime\/gateway-identity\] spec\.containers\[0\]\.image: the pod carries the gateway's label mcp-warden\.dev\/gateway-for, so container "server" must run the gateway image/,
      );
      // The pod's own label does not take it out of the namespace's requirement either.
      assert.doesNotMatch(text, /runtime\/gateway-required/);
    });

    test("check --cluster selects namespaces by the labels the cluster holds, as the webhook does", async () => {
      // Not opted in to the webhook, so admitted; but the policy selects it.
      await core.createNamespace({
        body: { metadata: { name: "legacy", labels: { "mcp-warden.dev/gateway": "required" } } },
      });
      const set = generated("weather", false).map((o) => ({
        ...o,
        metadata: { ...o.metadata, namespace: "legacy" },
      }));
      for (const o of set) await objects.create(forClient(o));
      const r = await runCli([
        ...["check", "--cluster", "--kubeconfig", cluster.kubeconfigPath],
        ...["--namespace", "legacy", "--format", "json"],
      ]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const report = JSON.parse(r.stdout) as {
        results: {
          name: string;
          allowed: boolean;
          findings: { rule: string; message: string }[];
        }[];
      };
      assert.deepEqual(
        report.results.map((x) => [x.name, x.allowed, [...new Set(x.findings.map((f) => f.rule))]]),
        [["weather", false, ["runtime/gateway-required"]]],
      );
      assert.match(
        report.results[0]?.findings[0]?.message ?? "",
        /^namespace legacy is selected by spec\.runtime\.gatewayRequired\.namespaceSelector/,
      );
    });

    test("the generated set behind the gateway is admitted, its grant stored", async () => {
      const set = generated("weather", true);
      const order = [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "Service",
        "Deployment",
        "MCPWardenAccess",
      ];
      assert.deepEqual(
        [...new Set(set.map((o) => o.kind ?? ""))].filter((k) => !order.includes(k)),
        [],
        "every generated kind is applied",
      );
      for (const kind of order)
        for (const o of set.filter((x) => x.kind === kind)) {
          // The CRD's schema is served once it is established; until then the create is refused.
          const created = await eventually(() => objects.create(forClient(o)));
          assert.equal(created.metadata?.name, o.metadata?.name);
        }
      const names = (await objects.list("apps/v1", "Deployment", NS)).items.map(
        (d) => d.metadata?.name,
      );
      assert.deepEqual(names.sort(), ["weather", "weather-gateway"]);
      // The grant skeleton, as the API server stored it under the CRD's schema.
      const access = set.find((o) => o.kind === "MCPWardenAccess")!;
      const stored = await objects.read<KubernetesObject & { spec?: Record<string, unknown> }>({
        apiVersion: access.apiVersion!,
        kind: access.kind!,
        metadata: { name: access.metadata!.name!, namespace: access.metadata!.namespace! },
      });
      assert.equal(stored.metadata?.namespace, "mcp-warden-system");
      assert.deepEqual(stored.spec, {
        server: { namespace: NS, name: "weather" },
        agents: ["planner"],
        tools: [],
        reason: "grants for the agents weather declares; list the tools each may call",
      });
      // The gateway's ServiceAccount may read the grants there and its policy, nothing more.
      const role = await objects.read<
        KubernetesObject & { rules?: { resources?: string[]; verbs?: string[] }[] }
      >({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "mcp-servers-weather-gateway-access", namespace: "mcp-warden-system" },
      });
      assert.deepEqual(
        role.rules?.map((r) => [r.resources, r.verbs]),
        [[["mcpwardenaccesses"], ["get", "list", "watch"]]],
      );
    });
  },
);
