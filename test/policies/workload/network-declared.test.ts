import assert from "node:assert/strict";
import { test } from "node:test";
import type { DeclaredPermissions } from "../../../policies/evaluation/predicate.ts";
import { CATALOGUE } from "../../../policies/workload/catalogue.ts";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import type { NetworkPolicy } from "../../../policies/workload/k8s-types.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import {
  networkWithinDeclared as rule,
  rangesCovered,
} from "../../../policies/workload/rules/network-declared.ts";
import { parseCidr } from "../../../policies/workload/cidr.ts";
import { GATEWAY_LABEL } from "../../../policies/workload/gateway-contract.ts";
import { evidenceImages } from "../../../policies/workload/rules/image.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { contextFor } from "../../support/context.ts";

const IMAGE = "ghcr.io/acme/crm@sha256:" + "a".repeat(64);
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "crm", namespace: "team-a", labels: { app: "crm" } },
  spec: { containers: [{ name: "server", image: IMAGE }] },
};

function np(spec: Record<string, unknown>, name = "crm"): NetworkPolicy {
  return parseNetworkPolicy({
    kind: "NetworkPolicy",
    metadata: { name, namespace: "team-a" },
    spec: { podSelector: { matchLabels: { app: "crm" } }, ...spec },
  });
}

function evidence(network: Pick<DeclaredPermissions, "egress" | "ingress"> | undefined) {
  const facts: ImageFacts = {
    verifiedSignatures: [{ signer: "key:abc" }],
    rejectedSignatures: [],
    verifiedEvaluations: [
      {
        verdict: "pass",
        trustLevel: "L3",
        time: "2026-05-01T00:00:00Z",
        signer: "key:abc",
        ...(network ? { kubernetes: [], internetEgressPorts: [], network } : {}),
      },
    ],
    rejectedEvaluations: [],
  };
  return { forImage: (r: string) => (r === IMAGE ? facts : undefined) } satisfies ImageEvidence;
}

const declaredAgents = [
  { name: "sales", namespace: "agents", labels: { app: "sales" } },
  { name: "ops", namespace: "ops" },
  { name: "bastion", cidrs: ["192.168.7.0/24"] },
];
const declared = evidence({
  egress: [
    { host: "api.crm.example", cidrs: ["140.82.112.0/20"], ports: [443] },
    { host: "db.data.svc.cluster.local", ports: [5432] },
    { cidrs: ["10.9.0.0/16"] },
  ],
  ingress: {
    ports: [8080],
    agents: declaredAgents,
  },
});

const dns = {
  to: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
      podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
    },
  ],
  ports: [
    { port: 53, protocol: "UDP" },
    { port: 53, protocol: "TCP" },
  ],
};
const ns = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });
const sales = { namespaceSelector: ns("agents"), podSelector: { matchLabels: { app: "sales" } } };

test("the selecting NetworkPolicies may not allow more than the signed evaluation declares", () => {
  const table: [string, Record<string, unknown>, string[]][] = [
    [
      "exactly the declared endpoints and agents",
      {
        policyTypes: ["Ingress", "Egress"],
        egress: [
          dns,
          { to: [{ ipBlock: { cidr: "140.82.120.0/24" } }], ports: [{ port: 443 }] },
          { to: [{ namespaceSelector: ns("data") }], ports: [{ port: 5432 }] },
          { to: [{ ipBlock: { cidr: "10.9.0.0/16", except: ["10.9.1.0/24"] } }] },
        ],
        ingress: [
          {
            from: [
              sales,
              { namespaceSelector: ns("ops"), podSelector: { matchLabels: { tier: "x" } } },
              { ipBlock: { cidr: "192.168.7.128/25" } },
            ],
            ports: [{ port: 8080 }],
          },
        ],
      },
      [],
    ],
    [
      "an address range not declared",
      {
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "140.82.0.0/16" } }], ports: [{ port: 443 }] }],
      },
      ["egress[0] allows to[0] ipBlock 140.82.0.0/16 on port 443"],
    ],
    [
      "a declared range on a port not declared",
      {
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "140.82.112.0/20" } }], ports: [{ port: 22 }] }],
      },
      ["egress[0] allows to[0] ipBlock 140.82.112.0/20 on port 22"],
    ],
    [
      "a declared range on every port",
      { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "140.82.112.0/20" } }] }] },
      ["egress[0] allows to[0] ipBlock 140.82.112.0/20 on every port"],
    ],
    [
      "pods of a namespace no declared host names",
      {
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: ns("billing") }], ports: [{ port: 5432 }] }],
      },
      ["egress[0] allows to[0] every pod of namespace billing on port 5432"],
    ],
    [
      "pods of the pod's own namespace",
      {
        policyTypes: ["Egress"],
        egress: [
          { to: [{ podSelector: { matchLabels: { app: "cache" } } }], ports: [{ port: 6379 }] },
        ],
      },
      [
        'egress[0] allows to[0] pods matching {"matchLabels":{"app":"cache"}} of namespace team-a on port 6379',
      ],
    ],
    [
      "namespaces by another label cannot be bounded",
      {
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { team: "data" } } }],
            ports: [{ port: 5432 }],
          },
        ],
      },
      [
        'egress[0] allows to[0] every pod of namespaces matching {"matchLabels":{"team":"data"}} on port 5432',
      ],
    ],
    [
      "port 53 anywhere but the cluster's resolver is not DNS",
      {
        policyTypes: ["Egress"],
        egress: [
          {
            ...dns,
            to: [{ namespaceSelector: ns("other"), podSelector: { matchLabels: { a: "b" } } }],
          },
        ],
      },
      [
        'egress[0] allows to[0] pods matching {"matchLabels":{"a":"b"}} of namespace other on port 53',
      ],
    ],
    [
      "an agent not declared",
      {
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: ns("agents"), podSelector: { matchLabels: { app: "intern" } } },
            ],
            ports: [{ port: 8080 }],
          },
        ],
      },
      [
        'ingress[0] allows from[0] pods matching {"matchLabels":{"app":"intern"}} of namespace agents',
      ],
    ],
    [
      "every pod of the declared agent's namespace is wider than its labels",
      {
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: ns("agents") }], ports: [{ port: 8080 }] }],
      },
      ["ingress[0] allows from[0] every pod of namespace agents"],
    ],
    [
      "a declared agent on a port not declared, and on every port",
      {
        policyTypes: ["Ingress"],
        ingress: [{ from: [sales], ports: [{ port: 8080 }, { port: 9090 }] }, { from: [sales] }],
      },
      [
        "ingress[0] allows ports beyond port 8080: port 9090",
        "ingress[1] allows ports beyond port 8080: every port",
      ],
    ],
    [
      "addresses outside the declared agent's cidrs",
      {
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ ipBlock: { cidr: "192.168.0.0/16" } }], ports: [{ port: 8080 }] }],
      },
      ["ingress[0] allows from[0] ipBlock 192.168.0.0/16"],
    ],
    [
      "a policy that does not select the pod is not judged",
      {
        podSelector: { matchLabels: { app: "other" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "8.8.8.8/32" } }] }],
      },
      [],
    ],
    [
      "every destination is network/egress-restricted's to report",
      { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] },
      [],
    ],
  ];
  for (const [what, spec, expected] of table) {
    const found = rule.check(contextFor(pod, { networkPolicies: [np(spec)], evidence: declared }));
    assert.deepEqual(
      found.map(
        (f) =>
          /^NetworkPolicy team-a\/crm (.*), which the server's signed evaluation does not declare/.exec(
            f.message,
          )?.[1] ?? f.message,
      ),
      expected,
      what,
    );
    for (const [i, f] of found.entries()) {
      const [, field, index] = /^(egress|ingress)\[(\d+)\]/.exec(expected[i]!)!;
      assert.deepEqual(
        f.related,
        [
          {
            kind: "NetworkPolicy",
            namespace: "team-a",
            name: "crm",
            path: `spec.${field}[${index}]`,
          },
        ],
        what,
      );
      assert.equal(f.path, "metadata.labels", what);
    }
  }
});

test("a server that declares no ports may not be reached; nothing is judged without declared permissions", () => {
  const open = np({
    policyTypes: ["Ingress"],
    ingress: [{ from: [sales], ports: [{ port: 8080 }] }],
  });
  const stdio = evidence({ egress: [], ingress: { agents: [] } });
  const found = rule.check(contextFor(pod, { networkPolicies: [open], evidence: stdio }));
  assert.equal(found.length, 1);
  assert.match(
    found[0]!.message,
    /ingress\[0\] allows connections on port 8080 to a server that declares no ports; from\[0\]/,
  );
  // an evaluation without permissions: image/evaluated speaks, not this rule
  assert.deepEqual(
    rule.check(contextFor(pod, { networkPolicies: [open], evidence: evidence(undefined) })),
    [],
  );
});

test("behind its gateway: the server admits the gateway's pods, the gateway is held to the server's agents", () => {
  const GATEWAY_IMAGE = "ghcr.io/mcp-warden/mcp-warden@sha256:" + "b".repeat(64);
  const gatewayPod = (args: string[]) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "crm-gateway",
      namespace: "team-a",
      labels: { app: "crm-gateway", [GATEWAY_LABEL]: "crm" },
    },
    spec: { containers: [{ name: "gateway", image: GATEWAY_IMAGE, args: ["gateway", ...args] }] },
  });
  const fronting = gatewayPod(["--upstream", "http://crm:8080/mcp", "--server-image", IMAGE]);
  const gatewayPeer = { podSelector: { matchLabels: { [GATEWAY_LABEL]: "crm" } } };
  const stdio = evidence({ egress: [], ingress: { agents: declaredAgents } });
  const toGateway = (spec: Record<string, unknown>) =>
    parseNetworkPolicy({
      kind: "NetworkPolicy",
      metadata: { name: "crm-gateway", namespace: "team-a" },
      spec: { podSelector: { matchLabels: { app: "crm-gateway" } }, ...spec },
    });
  const table: {
    what: string;
    pod: unknown;
    policy: NetworkPolicy;
    evidence: ImageEvidence;
    expected: string[];
  }[] = [
    {
      what: "the server admits only its gateway, on its declared port",
      pod,
      policy: np({
        policyTypes: ["Ingress"],
        ingress: [{ from: [gatewayPeer], ports: [{ port: 8080 }] }],
      }),
      evidence: declared,
      expected: [],
    },
    {
      what: "the server's gateway still reaches it only on declared ports",
      pod,
      policy: np({
        policyTypes: ["Ingress"],
        ingress: [{ from: [gatewayPeer], ports: [{ port: 9090 }] }],
      }),
      evidence: declared,
      expected: ["ingress[0] allows ports beyond port 8080: port 9090"],
    },
    {
      what: "a stdio server declares no port; its gateway reaches the bridge",
      pod,
      policy: np({
        policyTypes: ["Ingress"],
        ingress: [{ from: [gatewayPeer], ports: [{ port: 8080 }] }],
      }),
      evidence: stdio,
      expected: [],
    },
    {
      what: "a stdio server's bridge is the gateway's alone: an agent beside it is still judged",
      pod,
      policy: np({
        policyTypes: ["Ingress"],
        ingress: [{ from: [gatewayPeer, sales], ports: [{ port: 8080 }] }],
      }),
      evidence: stdio,
      expected: ["ingress[0] allows connections on port 8080 to a server that declares no ports"],
    },
    {
      what: "a gateway-labelled peer from any namespace is no gateway",
      pod,
      policy: np({
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ ...gatewayPeer, namespaceSelector: {} }],
            ports: [{ port: 8080 }],
          },
        ],
      }),
      evidence: declared,
      expected: [
        `ingress[0] allows from[0] pods matching {"matchLabels":{"${GATEWAY_LABEL}":"crm"}} of namespaces matching {}`,
      ],
    },
    {
      what: "the gateway admits the server's declared agents on its own port",
      pod: fronting,
      policy: toGateway({
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [sales], ports: [{ port: 8443 }] }],
        // Its egress (the API server, the registry, the server) is not the server's to declare.
        egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 443 }] }],
      }),
      evidence: declared,
      expected: [],
    },
    {
      what: "the gateway admits an agent the server does not declare",
      pod: fronting,
      policy: toGateway({
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: ns("billing") }],
            ports: [{ port: 8443 }],
          },
        ],
      }),
      evidence: declared,
      expected: ["ingress[0] allows from[0] every pod of namespace billing"],
    },
    {
      what: "the gateway opens a port it does not serve on",
      pod: gatewayPod(["--server-image", IMAGE, "--port=9443"]),
      policy: toGateway({
        policyTypes: ["Ingress"],
        ingress: [{ from: [sales], ports: [{ port: 8443 }] }],
      }),
      evidence: declared,
      expected: ["ingress[0] allows ports beyond port 9443: port 8443"],
    },
    {
      what: "another gateway's pods are no declared agent of this one",
      pod: fronting,
      policy: toGateway({
        policyTypes: ["Ingress"],
        ingress: [{ from: [gatewayPeer], ports: [{ port: 8443 }] }],
      }),
      evidence: declared,
      expected: [
        `ingress[0] allows from[0] pods matching {"matchLabels":{"${GATEWAY_LABEL}":"crm"}} of namespace team-a`,
      ],
    },
    {
      what: "a gateway whose server image has no evaluation with permissions is not judged here",
      pod: gatewayPod(["--server-image", "ghcr.io/acme/other@sha256:" + "c".repeat(64)]),
      policy: toGateway({
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: {} }] }],
      }),
      evidence: declared,
      expected: [],
    },
  ];
  for (const row of table) {
    const found = rule.check(
      contextFor(row.pod, { networkPolicies: [row.policy], evidence: row.evidence }),
    );
    assert.deepEqual(
      found.map(
        (f) =>
          /^NetworkPolicy team-a\/crm(?:-gateway)? (.*), which the server's signed evaluation does not declare/.exec(
            f.message,
          )?.[1] ?? f.message,
      ),
      row.expected,
      row.what,
    );
  }
  // The gateway's registry facts include its server's, so every edge fetches them.
  assert.deepEqual(evidenceImages(toWorkload(fronting)), [GATEWAY_IMAGE, IMAGE]);
  assert.deepEqual(evidenceImages(toWorkload(pod)), [IMAGE]);
});

test("the rule needs the registry: offline check lists it as skipped", () => {
  assert.equal(rule.needsRegistry, true);
  assert.equal(CATALOGUE.find((r) => r.id === "network/within-declared")?.needsRegistry, true);
});

test("address coverage is by union of blocks", () => {
  const r = (c: string) => parseCidr(c)!;
  const table: [string[], string[], boolean][] = [
    [["10.0.0.0/24"], ["10.0.0.0/16"], true],
    [["10.0.0.0/16"], ["10.0.0.0/17", "10.0.128.0/17"], true],
    [["10.0.0.0/16"], ["10.0.0.0/17", "10.0.129.0/24"], false],
    [["10.0.0.0/16"], [], false],
    [["::ffff:10.0.0.1/128"], ["10.0.0.0/8"], true],
  ];
  for (const [ranges, cover, expected] of table) {
    assert.equal(
      rangesCovered(ranges.map(r), cover.map(r)),
      expected,
      `${ranges.join(",")} in ${cover.join(",")}`,
    );
  }
});
