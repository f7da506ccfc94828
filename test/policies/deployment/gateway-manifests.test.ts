/**
 * The generated set behind the gateway, judged by the engine with every rule on and registry facts
 * at hand (as at admission): the server's evaluation records a stdio run, both images are signed
 * and evaluated, and the namespace is one the policy selects.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateKubernetesManifests } from "../../../policies/deployment/kubernetes-manifests.ts";
import type {
  DeclaredPermissions,
  KubernetesPermission,
  ServerRun,
} from "../../../policies/evaluation/predicate.ts";
import { WardenError } from "../../../policies/errors.ts";
import { createClusterState, parseNamespace } from "../../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import {
  GATEWAY_LABEL,
  gatewayKubernetesAccess,
} from "../../../policies/workload/gateway-contract.ts";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import type { NetworkPolicy } from "../../../policies/workload/k8s-types.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { isRbacKind, parseRbacObject } from "../../../policies/workload/rbac.ts";
import { isWorkloadKind, toWorkload } from "../../../policies/workload/workload.ts";
import { policyWith } from "../../support/policies.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const IMAGE = `ghcr.io/acme/mcp-weather@sha256:${"3f0c1e6b0a7d2c4e".repeat(4)}`;
const GATEWAY = `ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:${"b".repeat(64)}`;
const RUN: ServerRun = {
  transport: "stdio",
  entrypoint: ["/usr/local/bin/node"],
  cmd: ["/app/index.js"],
};
const PERMISSIONS: DeclaredPermissions = {
  egress: [],
  ingress: {
    agents: [
      { name: "planner", namespace: "agents", labels: { app: "planner" } },
      { name: "unselectable" },
    ],
  },
  filesystem: [],
  credentials: [],
};

const policy = compilePolicy(
  policyWith({
    rules: { "*": "enforce", "credentials/no-secret-env": "warn" },
    images: {
      trustedSigners: [
        { key: { publicKey: "-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----" } },
      ],
    },
    runtime: {
      gateway: { image: GATEWAY },
      gatewayRequired: {
        namespaceSelector: { matchLabels: { "mcp-warden.dev/gateway": "required" } },
      },
    },
  }),
);

function facts(
  run?: ServerRun,
  kubernetes: KubernetesPermission[] = [],
  network?: Pick<DeclaredPermissions, "egress" | "ingress">,
): ImageFacts {
  return {
    digest: "sha256:x",
    verifiedSignatures: [{ signer: "key:release" }],
    rejectedSignatures: [],
    verifiedEvaluations: [
      {
        verdict: "pass",
        trustLevel: "L3",
        time: "2026-05-31T00:00:00Z",
        signer: "key:release",
        kubernetes,
        internetEgressPorts: [],
        ...(network ? { network } : {}),
        ...(run ? { run } : {}),
      },
    ],
    rejectedEvaluations: [],
  };
}
const evidence: ImageEvidence = {
  forImage: (ref) =>
    ref === IMAGE
      ? facts(RUN, [], PERMISSIONS)
      : ref === GATEWAY
        ? facts(undefined, gatewayKubernetesAccess(["mcp-warden-system"]))
        : undefined,
};

function judgeAll(
  objects: readonly { kind: string }[],
  namespaceLabels = { "mcp-warden.dev/gateway": "required" },
) {
  const raw = objects as unknown as Record<string, unknown>[];
  const cluster = createClusterState({
    networkPolicies: raw
      .filter((o) => o.kind === "NetworkPolicy")
      .map((o) => parseNetworkPolicy(o)),
    rbac: raw.filter((o) => isRbacKind(o.kind)).map((o) => parseRbacObject(o)),
    namespaces: [
      parseNamespace({
        kind: "Namespace",
        metadata: { name: "mcp-servers", labels: namespaceLabels },
      }),
    ],
    namespacesComplete: true,
  });
  return raw
    .filter((o) => isWorkloadKind(o.kind))
    .map((o) => {
      const w = toWorkload(o);
      const d = judgeWorkload(w, { policy, cluster, now: NOW, evidence });
      return {
        name: w.name,
        allowed: d.allowed,
        skipped: d.skipped,
        findings: d.findings.map((f) => `${f.rule} ${f.path}: ${f.message}`),
      };
    });
}

function generate(over: Partial<Parameters<typeof generateKubernetesManifests>[0]> = {}) {
  return generateKubernetesManifests({
    image: IMAGE,
    serverName: "io.github.acme/weather",
    version: "1.4.2",
    permissions: PERMISSIONS,
    namespace: "mcp-servers",
    gateway: { image: GATEWAY, run: RUN },
    ...over,
  });
}

test("the generated set behind the gateway passes every rule, the registry's included", () => {
  const m = generate();
  assert.deepEqual(
    m.objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`),
    [
      "ServiceAccount mcp-servers/weather",
      "Deployment mcp-servers/weather",
      "NetworkPolicy mcp-servers/weather",
      "Service mcp-servers/weather",
      "ServiceAccount mcp-servers/weather-gateway",
      "ClusterRoleBinding /mcp-servers-weather-gateway-auth-delegator",
      "Role mcp-warden-system/mcp-servers-weather-gateway-access",
      "RoleBinding mcp-warden-system/mcp-servers-weather-gateway-access",
      "ClusterRole /mcp-servers-weather-gateway-policy",
      "ClusterRoleBinding /mcp-servers-weather-gateway-policy",
      "Deployment mcp-servers/weather-gateway",
      "Service mcp-servers/weather-gateway",
      "NetworkPolicy mcp-servers/weather-gateway",
      "MCPWardenAccess mcp-warden-system/mcp-servers-weather",
    ],
  );
  assert.deepEqual(judgeAll(m.objects), [
    { name: "weather", allowed: true, skipped: [], findings: [] },
    { name: "weather-gateway", allowed: true, skipped: [], findings: [] },
  ]);
});

/** The value at `path` in a generated object, as YAML would read it. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    value,
  );
}

test("what the gateway runs and may reach", () => {
  const m = generate();
  const byName = (kind: string, name: string): unknown =>
    m.objects.find((o) => o.kind === kind && o.metadata.name === name);
  const gateway = byName("Deployment", "weather-gateway");
  const pod = at(gateway, "spec", "template");
  assert.equal(at(pod, "metadata", "labels", GATEWAY_LABEL), "weather");
  assert.deepEqual(at(pod, "spec", "containers", 0, "args"), [
    "gateway",
    "--upstream",
    "http://weather.mcp-servers.svc:8080/mcp",
    "--tls-cert",
    "/tls/tls.crt",
    "--tls-key",
    "/tls/tls.key",
    "--port",
    "8443",
    "--server-image",
    IMAGE,
    "--server-name",
    "weather",
    "--audience",
    "https://weather-gateway.mcp-servers.svc",
    "--resource",
    "https://weather-gateway.mcp-servers.svc/mcp",
    "--token-review",
    "--policy-name",
    "default",
  ]);
  assert.deepEqual(at(pod, "spec", "containers", 0, "env"), [
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  ]);
  // What mcp-warden gateway reads from the Downward API: grants name the server by namespace.
  assert.deepEqual(
    (at(pod, "spec", "containers", 0, "env") as { name: string }[]).map((e) => e.name),
    ["POD_NAMESPACE", "POD_NAME"],
  );
  assert.deepEqual(at(pod, "spec", "volumes", 0), {
    name: "tls",
    secret: { secretName: "weather-gateway-tls" },
  });
  // TokenReview rights only.
  const binding = byName("ClusterRoleBinding", "mcp-servers-weather-gateway-auth-delegator");
  assert.equal(at(binding, "roleRef", "name"), "system:auth-delegator");
  const subjects = [{ kind: "ServiceAccount", name: "weather-gateway", namespace: "mcp-servers" }];
  assert.deepEqual(at(binding, "subjects"), subjects);
  // The grants, read only, in the access namespace alone.
  const role = m.objects.find((o) => o.kind === "Role");
  assert.equal(role?.metadata.namespace, "mcp-warden-system");
  assert.deepEqual(at(role, "rules"), [
    {
      apiGroups: ["mcp-warden.dev"],
      resources: ["mcpwardenaccesses"],
      verbs: ["get", "list", "watch"],
    },
  ]);
  const roleBinding = m.objects.find((o) => o.kind === "RoleBinding");
  assert.equal(roleBinding?.metadata.namespace, "mcp-warden-system");
  assert.deepEqual(at(roleBinding, "roleRef", "name"), role?.metadata.name);
  assert.deepEqual(at(roleBinding, "subjects"), subjects);
  // The one policy named by --policy-name, get only.
  const policyRole = byName("ClusterRole", "mcp-servers-weather-gateway-policy");
  assert.deepEqual(at(policyRole, "rules"), [
    {
      apiGroups: ["mcp-warden.dev"],
      resources: ["mcpwardenpolicies"],
      resourceNames: ["default"],
      verbs: ["get"],
    },
  ]);
  assert.deepEqual(
    at(byName("ClusterRoleBinding", "mcp-servers-weather-gateway-policy"), "subjects"),
    subjects,
  );
  // The server: only the gateway's pods, on the bridge's port.
  const serverNp = byName("NetworkPolicy", "weather") as NetworkPolicy;
  assert.deepEqual(serverNp.spec.ingress, [
    {
      from: [{ podSelector: { matchLabels: { [GATEWAY_LABEL]: "weather" } } }],
      ports: [{ port: 8080, protocol: "TCP" }],
    },
  ]);
  // The gateway: the selectable declared agents in, on its port; DNS, the server, the API server
  // and the server image's registry out.
  const gwNp = byName("NetworkPolicy", "weather-gateway") as NetworkPolicy;
  assert.equal(gwNp.spec.ingress?.length, 1);
  assert.deepEqual(gwNp.spec.ingress?.[0]?.ports, [{ port: 8443, protocol: "TCP" }]);
  assert.deepEqual(
    gwNp.spec.egress?.map((r) => (r.ports ?? []).map((p) => (p as { port: number }).port)),
    [[53, 53], [8080], [443, 6443], [443]],
  );
  // The registry by default: public addresses only, never pods, nodes or a metadata endpoint.
  const registryPeers = gwNp.spec.egress?.[3]?.to ?? [];
  assert.deepEqual(
    registryPeers.map((p) => p.ipBlock?.cidr),
    ["0.0.0.0/0", "2000::/3"],
  );
  for (const excluded of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"])
    assert.ok(registryPeers[0]?.ipBlock?.except?.includes(excluded), excluded);
  const access = byName("MCPWardenAccess", "mcp-servers-weather");
  assert.deepEqual(at(access, "spec", "server"), { namespace: "mcp-servers", name: "weather" });
  assert.deepEqual(at(access, "spec", "agents"), ["planner", "unselectable"]);
  assert.deepEqual(at(access, "spec", "tools"), []);
});

test("without the gateway, the same server in a selected namespace is denied by runtime/gateway-required", () => {
  const m = generate({ gateway: undefined });
  const [server] = judgeAll(m.objects);
  assert.equal(server?.allowed, false);
  // Its declared agents may connect directly, and the stdio server has no bridge.
  assert.ok(
    server?.findings.every((f) => f.startsWith("runtime/gateway-required")),
    server?.findings.join("\n"),
  );
  assert.ok(server?.findings.some((f) => /must run as \/mcp-warden\/bridge/.test(f)));
});

test("an HTTP server (no evaluated stdio run) is reached on its declared port, without the bridge", () => {
  const m = generate({
    permissions: { ...PERMISSIONS, ingress: { ...PERMISSIONS.ingress, ports: [3000] } },
    gateway: { image: GATEWAY },
  });
  const deployment = m.objects[1] as unknown as {
    spec: { template: { spec: { initContainers?: unknown; containers: { command?: unknown }[] } } };
  };
  assert.equal(deployment.spec.template.spec.initContainers, undefined);
  assert.equal(deployment.spec.template.spec.containers[0]?.command, undefined);
  assert.match(m.yaml, /--upstream\n\s+- http:\/\/weather\.mcp-servers\.svc:3000\/mcp/);
});

test("the gateway's registry egress follows the image's registry port and --registry-cidr; --policy-name names what it reads", () => {
  const onPort = generate({
    image: `registry.internal:5000/acme/weather@sha256:${"c".repeat(64)}`,
  });
  const np = onPort.objects.find(
    (o) => o.kind === "NetworkPolicy" && o.metadata.name === "weather-gateway",
  ) as unknown as NetworkPolicy;
  assert.deepEqual(np.spec.egress?.[3]?.ports, [{ port: 5000, protocol: "TCP" }]);

  const narrowed = generate({
    gateway: { image: GATEWAY, run: RUN, registryCidrs: ["10.20.0.0/16"], policyName: "team-a" },
  });
  const gwNp = narrowed.objects.find(
    (o) => o.kind === "NetworkPolicy" && o.metadata.name === "weather-gateway",
  ) as unknown as NetworkPolicy;
  assert.deepEqual(gwNp.spec.egress?.[3], {
    to: [{ ipBlock: { cidr: "10.20.0.0/16" } }],
    ports: [{ port: 443, protocol: "TCP" }],
  });
  const role = narrowed.objects.find((o) => o.kind === "ClusterRole");
  assert.deepEqual(at(role, "rules", 0, "resourceNames"), ["team-a"]);
  const gw = narrowed.objects.find(
    (o) => o.kind === "Deployment" && o.metadata.name === "weather-gateway",
  );
  const args = at(gw, "spec", "template", "spec", "containers", 0, "args") as string[];
  assert.equal(args[args.indexOf("--policy-name") + 1], "team-a");
  // Still admitted as a whole.
  assert.ok(judgeAll(narrowed.objects).every((d) => d.allowed));
});

test("internet egress is the policy's gateway's on its registry's port only", () => {
  const findingsOf = (objects: readonly { kind: string }[]) =>
    judgeAll(objects).find((d) => d.name === "weather-gateway")?.findings ?? [];
  const egressFinding = /^network\/egress-restricted .*internet egress .*not admitted/;
  // Another port on the same addresses is not the registry's.
  const otherPort = structuredClone(generate().objects);
  const np = otherPort.find(
    (o) => o.kind === "NetworkPolicy" && o.metadata.name === "weather-gateway",
  ) as unknown as NetworkPolicy;
  np.spec.egress![3]!.ports = [{ port: 8443, protocol: "TCP" }];
  assert.ok(
    findingsOf(otherPort).some((f) => egressFinding.test(f)),
    findingsOf(otherPort).join("\n"),
  );
  // A pod that carries the gateway's label and command line with another image gains nothing.
  const posing = structuredClone(generate().objects);
  const gw = posing.find((o) => o.kind === "Deployment" && o.metadata.name === "weather-gateway");
  (at(gw, "spec", "template", "spec", "containers", 0) as { image: string }).image =
    `ghcr.io/acme/proxy@sha256:${"d".repeat(64)}`;
  const posed = findingsOf(posing);
  assert.ok(
    posed.some((f) => f.startsWith("runtime/gateway-identity")),
    posed.join("\n"),
  );
  assert.ok(
    posed.some((f) => egressFinding.test(f)),
    posed.join("\n"),
  );
});

test("a gateway needs a pinned image, a namespace and something to reach", () => {
  const e = assertThrowsWithCode(
    () =>
      generate({
        namespace: undefined,
        gateway: {
          image: "ghcr.io/mcp-warden/mcp-warden:0.1.0",
          apiServerCidrs: ["10.0.0.0/33"],
          registryCidrs: ["10.0.0.0/8", "registry.internal"],
          policyName: "Team_A",
        },
      }),
    "INPUT_INVALID",
    WardenError,
  );
  assert.deepEqual(
    e.problems.map((p) => p.path),
    [
      "gateway.image",
      "namespace",
      "gateway.run",
      "gateway.policyName",
      "gateway.apiServerCidrs[0]",
      "gateway.registryCidrs[1]",
    ],
  );
});
