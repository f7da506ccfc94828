import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";

interface Json {
  properties?: Record<string, Json>;
  items?: Json;
  pattern?: string;
  enum?: string[];
}
import { InputError } from "../../../policies/errors.ts";
import type { DeclaredPermissions } from "../../../policies/evaluation/predicate.ts";
import {
  CILIUM_MATCH_NAME,
  CILIUM_MATCH_PATTERN,
  CILIUM_PORT,
  DOMAIN_NAME,
  parseEgressPolicy,
  type EgressPolicy,
} from "../../../policies/workload/fqdn-policy.ts";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { networkRules } from "../../../policies/workload/rules/network.ts";
import {
  hostCovers,
  networkWithinDeclared,
} from "../../../policies/workload/rules/network-declared.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import type { RuleContext } from "../../../policies/workload/rule.ts";
import { defaultSettings } from "../../support/context.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";
import {
  INVALID_FQDN_POLICIES,
  VALID_FQDN_POLICIES,
  networkCrdDir,
  ciliumPolicy,
  clusterPolicy,
  DNS_EGRESS,
} from "../../support/fqdn-policies.ts";
import { Horizon } from "../../../policies/workload/horizon.ts";

const egressRule = networkRules.find((r) => r.id === "network/egress-restricted")!;
const IMAGE = "ghcr.io/acme/fetch@sha256:" + "b".repeat(64);
const pod = {
  kind: "Pod",
  metadata: { name: "fetch", namespace: "team-a", labels: { app: "fetch" } },
  spec: { containers: [{ name: "server", image: IMAGE }] },
};

function evidence(egress: DeclaredPermissions["egress"]): ImageEvidence {
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
        network: { egress, ingress: { agents: [] } },
      },
    ],
    rejectedEvaluations: [],
  };
  return { forImage: () => facts };
}

function ctx(policies: EgressPolicy[], ev?: ImageEvidence): RuleContext {
  return {
    workload: toWorkload(pod),
    cluster: createClusterState({ egressPolicies: policies }),
    settings: defaultSettings,
    evidence: ev,
    now: new Date("2026-06-01T00:00:00Z"),
    horizon: new Horizon(),
  };
}

const fqdns = (...names: string[]) => names.map((matchName) => ({ matchName }));
const toFqdn = (toFQDNs: unknown[], ports = ["443"]) => ({
  toFQDNs,
  toPorts: [{ ports: ports.map((port) => ({ port, protocol: "TCP" })) }],
});

test(
  "the patterns and enums read here are those of the published CRDs",
  { skip: networkCrdDir() ? false : "scripts/fetch-network-crds.sh cannot fetch the CRDs here" },
  () => {
    const dir = networkCrdDir()!;
    const schema = (file: string) => {
      const crd = parse(readFileSync(`${dir}/${file}`, "utf8")) as {
        spec: { versions: { storage: boolean; schema: { openAPIV3Schema: Json } }[] };
      };
      return crd.spec.versions.find((v) => v.storage)!.schema.openAPIV3Schema;
    };
    const at = (root: Json, path: string): Json =>
      path.split(".").reduce<Json>((node, key) => {
        const next = key === "[]" ? node.items : node.properties?.[key];
        assert.ok(next, `${path}: no ${key}`);
        return next;
      }, root);
    for (const file of [
      "cilium.io_ciliumnetworkpolicies.yaml",
      "cilium.io_ciliumclusterwidenetworkpolicies.yaml",
    ]) {
      const egress = at(schema(file), "spec.egress.[]");
      assert.equal(at(egress, "toFQDNs.[].matchName").pattern, CILIUM_MATCH_NAME, file);
      assert.equal(at(egress, "toFQDNs.[].matchPattern").pattern, CILIUM_MATCH_PATTERN, file);
      assert.equal(at(egress, "toPorts.[].ports.[].port").pattern, CILIUM_PORT, file);
    }
    const cnp = schema("policy.networking.k8s.io_clusternetworkpolicies.yaml");
    assert.equal(at(cnp, "spec.egress.[].to.[].domainNames.[]").pattern, DOMAIN_NAME);
    assert.deepEqual(at(cnp, "spec.tier").enum, ["Admin", "Baseline"]);
    assert.deepEqual(at(cnp, "spec.egress.[].action").enum, ["Accept", "Deny", "Pass"]);
  },
);

test("objects the CRDs would reject are bad input, naming the field; those they admit are read", () => {
  const table = INVALID_FQDN_POLICIES;
  for (const [what, object, path] of table) {
    const err = assertThrowsWithCode(
      () => parseEgressPolicy(object),
      "DOCUMENT_INVALID",
      InputError,
      what,
    );
    assert.ok(
      err.problems.some((p) => p.path === path),
      `${what}: ${JSON.stringify(err.problems)}`,
    );
  }
  for (const [what, object] of VALID_FQDN_POLICIES) {
    assert.doesNotThrow(() => parseEgressPolicy(object), what);
  }
});

test("FQDN egress policies isolate the pod's egress with the same selection semantics", () => {
  const declaredHosts = [toFqdn(fqdns("api.github.com"))];
  const table: [string, unknown[], string[]][] = [
    [
      "a CiliumNetworkPolicy limiting egress to hosts",
      [ciliumPolicy("fetch", { egress: [DNS_EGRESS, ...declaredHosts] })],
      [],
    ],
    [
      "one that selects another pod",
      [ciliumPolicy("fetch", { egress: declaredHosts }, { app: "other" })],
      ["no NetworkPolicy"],
    ],
    [
      "one in another namespace",
      [ciliumPolicy("fetch", { egress: declaredHosts }, { app: "fetch" }, "team-b")],
      ["no NetworkPolicy"],
    ],
    [
      "one that turns default deny off",
      [ciliumPolicy("fetch", { egress: declaredHosts, enableDefaultDeny: { egress: false } })],
      ["no NetworkPolicy"],
    ],
    [
      "a clusterwide one selecting the namespace by its label",
      [
        ciliumPolicy(
          "fetch",
          { egress: declaredHosts },
          { "k8s:io.kubernetes.pod.namespace": "team-a", app: "fetch" },
          undefined,
        ),
      ],
      [],
    ],
    [
      "every host name",
      [ciliumPolicy("fetch", { egress: [toFqdn([{ matchPattern: "*" }])] })],
      [
        'CiliumNetworkPolicy team-a/fetch spec.egress[0] opens the pod to every host name: pattern "*"',
      ],
    ],
    [
      "the world entity",
      [ciliumPolicy("fetch", { egress: [{ toEntities: ["world"] }] })],
      [
        "CiliumNetworkPolicy team-a/fetch spec.egress[0] opens the pod to every destination: toEntities world",
      ],
    ],
    [
      "ports without destination",
      [ciliumPolicy("fetch", { egress: [{ toPorts: [{ ports: [{ port: "443" }] }] }] })],
      ["spec.egress[0] opens the pod to every destination: no destination (toPorts only)"],
    ],
    [
      "every address by CIDR",
      [ciliumPolicy("fetch", { egress: [{ toCIDR: ["0.0.0.0/0"] }] })],
      ["spec.egress[0] opens the pod to every destination: ipBlock 0.0.0.0/0"],
    ],
    [
      "a ClusterNetworkPolicy: deny all, accept declared domain names",
      [
        clusterPolicy("fetch", {
          egress: [
            {
              action: "Accept",
              to: [{ domainNames: ["api.github.com"] }],
              protocols: [{ tcp: { destinationPort: { number: 443 } } }],
            },
            { action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] },
          ],
        }),
      ],
      [],
    ],
    [
      "a ClusterNetworkPolicy that only accepts does not isolate",
      [
        clusterPolicy("fetch", {
          egress: [{ action: "Accept", to: [{ domainNames: ["api.github.com"] }] }],
        }),
      ],
      ["no NetworkPolicy"],
    ],
    [
      "a ClusterNetworkPolicy accepting every address",
      [
        clusterPolicy("fetch", {
          egress: [
            { action: "Accept", to: [{ networks: ["0.0.0.0/0"] }] },
            { action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] },
          ],
        }),
      ],
      ["ClusterNetworkPolicy fetch spec.egress[0] opens the pod to every destination"],
    ],
    [
      "a ClusterNetworkPolicy of another namespace",
      [
        clusterPolicy(
          "fetch",
          { egress: [{ action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] }] },
          "team-b",
        ),
      ],
      ["no NetworkPolicy"],
    ],
  ];
  for (const [what, objects, expected] of table) {
    const found = egressRule.check(ctx(objects.map((o) => parseEgressPolicy(o))));
    assert.equal(found.length, expected.length, `${what}: ${JSON.stringify(found)}`);
    expected.forEach((text, i) =>
      assert.ok(found[i]!.message.includes(text), `${what}: ${found[i]!.message}`),
    );
  }
});

test("namespaces are selected by the labels the cluster gives them, where the edge knows them", () => {
  const isolating = { egress: [DNS_EGRESS, toFqdn(fqdns("api.github.com"))] };
  const denyAll = { egress: [{ action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] }] };
  const byLabel = { matchLabels: { "mcp-warden.dev/enforce": "true" } };
  const policies: [string, Record<string, unknown>][] = [
    [
      "a ClusterNetworkPolicy whose subject selects namespaces by label",
      {
        apiVersion: "policy.networking.k8s.io/v1alpha2",
        kind: "ClusterNetworkPolicy",
        metadata: { name: "enforced" },
        spec: { tier: "Admin", priority: 10, subject: { namespaces: byLabel }, ...denyAll },
      },
    ],
    [
      "a ClusterNetworkPolicy whose subject selects pods of labelled namespaces",
      clusterPolicy("enforced", denyAll),
    ],
    [
      "a CiliumClusterwideNetworkPolicy selecting the namespace's labels",
      {
        apiVersion: "cilium.io/v2",
        kind: "CiliumClusterwideNetworkPolicy",
        metadata: { name: "enforced" },
        spec: {
          endpointSelector: {
            matchLabels: { "k8s:io.cilium.k8s.namespace.labels.mcp-warden.dev/enforce": "true" },
          },
          ...isolating,
        },
      },
    ],
  ];
  // clusterPolicy selects its namespace by name: select by label instead.
  const spec = policies[1]![1].spec as { subject: { pods: { namespaceSelector: unknown } } };
  spec.subject.pods.namespaceSelector = byLabel;
  const withNamespaces = (policy: EgressPolicy, labels: Record<string, string> | undefined) => ({
    ...ctx([policy]),
    cluster: createClusterState({
      egressPolicies: [policy],
      ...(labels ? { namespaces: [{ name: "team-a", labels }] } : {}),
    }),
  });
  for (const [what, object] of policies) {
    const policy = parseEgressPolicy(object);
    assert.deepEqual(
      egressRule.check(withNamespaces(policy, { "mcp-warden.dev/enforce": "true" })),
      [],
      `${what}: labelled namespace`,
    );
    for (const labels of [{ "mcp-warden.dev/enforce": "false" }, undefined]) {
      const found = egressRule.check(withNamespaces(policy, labels));
      assert.equal(found.length, 1, `${what}: ${JSON.stringify(labels)}`);
      assert.match(found[0]!.message, /^no NetworkPolicy/, what);
    }
  }
});

test("host names and patterns beyond the declared ones are reported, naming the policy and the rule", () => {
  const declared = evidence([
    { host: "api.github.com", ports: [443] },
    { host: "*.googleapis.com", ports: [443] },
  ]);
  const table: [string, unknown, string[]][] = [
    [
      "declared names, DNS to kube-dns",
      ciliumPolicy("fetch", {
        egress: [DNS_EGRESS, toFqdn(fqdns("api.github.com", "storage.googleapis.com"))],
      }),
      [],
    ],
    [
      "a declared wildcard as a pattern",
      ciliumPolicy("fetch", { egress: [toFqdn([{ matchPattern: "*.googleapis.com" }])] }),
      [],
    ],
    [
      "a name not declared",
      ciliumPolicy("fetch", { egress: [toFqdn(fqdns("api.github.com", "evil.example"))] }),
      ["CiliumNetworkPolicy team-a/fetch spec.egress[0] allows host evil.example on port 443"],
    ],
    [
      "a pattern wider than the declared name",
      ciliumPolicy("fetch", { egress: [toFqdn([{ matchPattern: "*.github.com" }])] }),
      ["allows host pattern *.github.com on port 443"],
    ],
    [
      "a declared host on a port not declared",
      ciliumPolicy("fetch", { egress: [toFqdn(fqdns("api.github.com"), ["22"])] }),
      ["allows host api.github.com on port 22"],
    ],
    [
      "an entity",
      ciliumPolicy("fetch", { egress: [{ toEntities: ["kube-apiserver"] }] }),
      ["allows entity kube-apiserver on every port"],
    ],
    [
      "ClusterNetworkPolicy domainNames",
      clusterPolicy("fetch", {
        egress: [
          {
            action: "Accept",
            to: [{ domainNames: ["*.github.com"] }],
            protocols: [{ tcp: { destinationPort: { number: 443 } } }],
          },
        ],
      }),
      ["ClusterNetworkPolicy fetch spec.egress[0] allows host pattern *.github.com on port 443"],
    ],
  ];
  for (const [what, object, expected] of table) {
    const policy = parseEgressPolicy(object);
    const found = networkWithinDeclared.check(ctx([policy], declared));
    assert.equal(found.length, expected.length, `${what}: ${JSON.stringify(found)}`);
    expected.forEach((text, i) => {
      assert.ok(found[i]!.message.includes(text), `${what}: ${found[i]!.message}`);
      assert.deepEqual(
        found[i]!.related,
        [
          {
            kind: policy.kind,
            ...(policy.metadata.namespace ? { namespace: policy.metadata.namespace } : {}),
            name: policy.metadata.name,
            path: "spec.egress[0]",
          },
        ],
        what,
      );
    });
  }
});

test("a declared host covers the same name and, as *., names and patterns under it", () => {
  const table: [string, string, boolean][] = [
    ["api.github.com", "api.github.com", true],
    ["api.github.com.", "api.github.com", true],
    ["api.github.com", "*.github.com", false],
    ["*.github.com", "api.github.com", true],
    ["*.github.com", "*.github.com", true],
    ["*.github.com", "github.com", false],
    ["*.github.com", "evilgithub.com", false],
    ["*.github.com", "*", false],
  ];
  for (const [d, name, expected] of table)
    assert.equal(hostCovers(d, name), expected, `${d} ⊇ ${name}`);
});
