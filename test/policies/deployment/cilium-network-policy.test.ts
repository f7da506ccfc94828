import assert from "node:assert/strict";
import { test } from "node:test";
import type { DeclaredPermissions } from "../../../policies/evaluation/predicate.ts";
import { generateKubernetesManifests } from "../../../policies/deployment/kubernetes-manifests.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { parseEgressPolicy } from "../../../policies/workload/fqdn-policy.ts";
import type { ImageFacts } from "../../../policies/workload/image-evidence.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { networkRules } from "../../../policies/workload/rules/network.ts";
import { networkWithinDeclared } from "../../../policies/workload/rules/network-declared.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { defaultSettings } from "../../support/context.ts";
import { Horizon } from "../../../policies/workload/horizon.ts";

const IMAGE = `ghcr.io/acme/fetch@sha256:${"c".repeat(64)}`;
const permissions: DeclaredPermissions = {
  egress: [
    { host: "api.github.com", ports: [443] },
    { host: "raw.githubusercontent.com", ports: [443] },
    { host: "*.googleapis.com", ports: [443, 8443] },
    { host: "pypi.org" },
    { cidrs: ["140.82.112.0/20"], ports: [22] },
  ],
  ingress: { ports: [8080], agents: [{ name: "a", namespace: "agents", labels: { app: "a" } }] },
  filesystem: [],
  credentials: [],
};

const generate = (network?: "kubernetes" | "cilium") =>
  generateKubernetesManifests({
    image: IMAGE,
    serverName: "io.github.acme/fetch",
    version: "1.0.0",
    permissions,
    namespace: "mcp-servers",
    ...(network ? { network } : {}),
  });

test("--network cilium adds a CiliumNetworkPolicy allowing the declared hosts by name, with DNS through the proxy", () => {
  const { objects, yaml } = generate("cilium");
  assert.deepEqual(
    objects.map((o) => o.kind),
    ["ServiceAccount", "Deployment", "NetworkPolicy", "CiliumNetworkPolicy"],
  );
  const cnp = objects[3] as unknown as {
    metadata: { name: string; namespace: string };
    spec: { endpointSelector: unknown; egress: Record<string, unknown>[] };
  };
  assert.deepEqual(cnp.metadata.namespace, "mcp-servers");
  assert.deepEqual(cnp.spec.endpointSelector, {
    matchLabels: { "app.kubernetes.io/name": "fetch" },
  });
  assert.deepEqual(cnp.spec.egress, [
    {
      toEndpoints: [
        {
          matchLabels: {
            "k8s:io.kubernetes.pod.namespace": "kube-system",
            "k8s:k8s-app": "kube-dns",
          },
        },
      ],
      toPorts: [
        {
          ports: [
            { port: "53", protocol: "UDP" },
            { port: "53", protocol: "TCP" },
          ],
          rules: { dns: [{ matchPattern: "*" }] },
        },
      ],
    },
    {
      toFQDNs: [{ matchName: "api.github.com" }, { matchName: "raw.githubusercontent.com" }],
      toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
    },
    {
      toFQDNs: [{ matchPattern: "*.googleapis.com" }],
      toPorts: [
        {
          ports: [
            { port: "443", protocol: "TCP" },
            { port: "8443", protocol: "TCP" },
          ],
        },
      ],
    },
    { toFQDNs: [{ matchName: "pypi.org" }] },
  ]);
  // the hosts are allowed, not left to an annotation or called unreachable
  assert.equal(objects[2]!.metadata.annotations?.["mcp-warden.dev/egress-hosts"], undefined);
  assert.doesNotMatch(yaml, /NOT reachable/);
  assert.match(yaml, /# declared host pypi\.org, any port\n/);
  // without it, the NetworkPolicy alone, with the hosts in its annotation
  const plain = generate();
  assert.equal(plain.objects.length, 3);
  assert.match(
    plain.objects[2]!.metadata.annotations?.["mcp-warden.dev/egress-hosts"] ?? "",
    /pypi\.org/,
  );
});

test("what --network cilium writes passes the egress rules, judged against the same declaration", () => {
  const { objects } = generate("cilium");
  const deployment = objects[1]!;
  const facts: ImageFacts = {
    verifiedSignatures: [{ signer: "key:abc" }],
    rejectedSignatures: [],
    verifiedEvaluations: [
      {
        verdict: "pass",
        trustLevel: "L3",
        time: "2026-05-01T00:00:00Z",
        signer: "key:abc",
        kubernetes: [],
        internetEgressPorts: [],
        network: { egress: permissions.egress, ingress: permissions.ingress },
      },
    ],
    rejectedEvaluations: [],
  };
  const ctx = {
    workload: toWorkload(deployment),
    cluster: createClusterState({
      networkPolicies: [parseNetworkPolicy(objects[2])],
      egressPolicies: [parseEgressPolicy(objects[3])],
    }),
    settings: defaultSettings,
    evidence: { forImage: () => facts },
    now: new Date("2026-06-01T00:00:00Z"),
    horizon: new Horizon(),
  };
  for (const rule of [...networkRules, networkWithinDeclared])
    assert.deepEqual(rule.check(ctx), [], rule.id);
  // a narrower declaration than what was generated: the extra host is reported
  const narrower = {
    ...facts,
    verifiedEvaluations: facts.verifiedEvaluations.map((e) => ({
      ...e,
      network: {
        egress: permissions.egress.filter((x) => x.host !== "pypi.org"),
        ingress: permissions.ingress,
      },
    })),
  };
  const found = networkWithinDeclared.check({ ...ctx, evidence: { forImage: () => narrower } });
  assert.equal(found.length, 1);
  assert.match(
    found[0]!.message,
    /CiliumNetworkPolicy mcp-servers\/fetch spec\.egress\[3\] allows host pypi\.org on every port/,
  );
});
