import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import type { NetworkPolicy } from "../../../policies/workload/k8s-types.ts";
import { selectorMatches } from "../../../policies/workload/label-selector.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { effectivePolicyTypes, networkRules } from "../../../policies/workload/rules/network.ts";
import { WardenError } from "../../../policies/errors.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";
import { INTERNAL_V4 as internalV4 } from "../../support/internal-ranges.ts";

const egress = networkRules.find((r) => r.id === "network/egress-restricted")!;
const ingress = networkRules.find((r) => r.id === "network/ingress-restricted")!;

function np(name: string, spec: Record<string, unknown>, namespace = "team-a"): NetworkPolicy {
  return parseNetworkPolicy({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace },
    spec,
  });
}

const dns = {
  to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
  ports: [{ port: 53, protocol: "UDP" }],
};
const agentOnly = { from: [{ podSelector: { matchLabels: { agent: "a" } } }] };
const strict = np("strict", {
  podSelector: { matchLabels: { app: "x" } },
  policyTypes: ["Ingress", "Egress"],
  ingress: [agentOnly],
  egress: [dns],
});

test("label selectors follow Kubernetes semantics", () => {
  const labels = { app: "x", tier: "mcp" };
  const table: [Parameters<typeof selectorMatches>[0], boolean][] = [
    [undefined, true],
    [{}, true],
    [{ matchLabels: { app: "x" } }, true],
    [{ matchLabels: { app: "y" } }, false],
    [{ matchLabels: { app: "x", missing: "" } }, false],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["x", "y"] }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["y"] }] }, false],
    [{ matchExpressions: [{ key: "nope", operator: "In", values: ["x"] }] }, false],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["y"] }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["x"] }] }, false],
    [{ matchExpressions: [{ key: "nope", operator: "NotIn", values: ["x"] }] }, true],
    [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "nope", operator: "Exists" }] }, false],
    [{ matchExpressions: [{ key: "nope", operator: "DoesNotExist" }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, false],
    [
      {
        matchLabels: { app: "x" },
        matchExpressions: [{ key: "tier", operator: "In", values: ["other"] }],
      },
      false,
    ],
  ];
  for (const [selector, expected] of table) {
    assert.equal(selectorMatches(selector, labels), expected, JSON.stringify(selector));
  }
});

test("policyTypes default as the API server defaults them", () => {
  assert.deepEqual(effectivePolicyTypes(np("a", {})), ["Ingress"]);
  assert.deepEqual(effectivePolicyTypes(np("a", { egress: [] })), ["Ingress"]);
  assert.deepEqual(effectivePolicyTypes(np("a", { egress: [dns] })), ["Ingress", "Egress"]);
  assert.deepEqual(effectivePolicyTypes(np("a", { policyTypes: ["Egress"] })), ["Egress"]);
});

test("invalid NetworkPolicies are rejected with every bad field", () => {
  const e = assertThrowsWithCode(
    () =>
      np("bad", {
        podSelector: {
          matchExpressions: [
            { key: "a", operator: "Equals" },
            { key: "b", operator: "In" },
          ],
        },
        policyTypes: ["Sideways"],
      }),
    "DOCUMENT_INVALID",
    WardenError,
  );
  for (const path of [
    "spec.podSelector.matchExpressions[0].operator",
    "spec.podSelector.matchExpressions[1].values",
    "spec.policyTypes[0]",
  ])
    assert.ok(
      e.problems.some((x) => x.path === path),
      path,
    );
});

const cases: { name: string; policies: NetworkPolicy[]; egress: number; ingress: number }[] = [
  { name: "no policy at all", policies: [], egress: 1, ingress: 1 },
  { name: "strict policy", policies: [strict], egress: 0, ingress: 0 },
  {
    name: "policy in another namespace",
    policies: [np("strict", strict.spec, "team-b")],
    egress: 1,
    ingress: 1,
  },
  {
    name: "policy selecting other pods",
    policies: [np("other", { ...strict.spec, podSelector: { matchLabels: { app: "y" } } })],
    egress: 1,
    ingress: 1,
  },
  {
    name: "empty podSelector selects all, deny-all both ways",
    policies: [np("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })],
    egress: 0,
    ingress: 0,
  },
  {
    name: "ingress-only (defaulted) policy leaves egress open",
    policies: [np("in", { podSelector: {}, ingress: [agentOnly] })],
    egress: 1,
    ingress: 0,
  },
  {
    name: "additive: a permissive policy opens a strictly selected pod",
    policies: [strict, np("open", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] })],
    egress: 1,
    ingress: 0,
  },
  {
    name: "egress to 0.0.0.0/0 with except",
    policies: [
      strict,
      np("world", {
        podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
      }),
    ],
    egress: 1,
    ingress: 0,
  },
  {
    name: "egress to ::/0",
    policies: [
      strict,
      np("v6", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "::/0" } }] }],
      }),
    ],
    egress: 1,
    ingress: 0,
  },
  {
    name: "egress to a /20 only",
    policies: [
      np("narrow", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [agentOnly],
        egress: [{ to: [{ ipBlock: { cidr: "140.82.112.0/20" } }] }],
      }),
    ],
    egress: 0,
    ingress: 0,
  },
  {
    name: "ingress rule with empty from",
    policies: [
      np("anyone", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ ports: [{ port: 80 }] }],
      }),
    ],
    egress: 0,
    ingress: 1,
  },
  {
    name: "ingress from 0.0.0.0/0",
    policies: [
      np("anyone", {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
      }),
    ],
    egress: 1,
    ingress: 1,
  },
  {
    name: "policy with NotIn selecting the pod",
    policies: [
      np("deny", {
        podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["z"] }] },
        policyTypes: ["Ingress", "Egress"],
      }),
    ],
    egress: 0,
    ingress: 0,
  },
  ...[
    { namespaceSelector: {} },
    { namespaceSelector: {}, podSelector: {} },
    {
      namespaceSelector: {
        matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "Exists" }],
      },
    },
    {
      namespaceSelector: {
        matchExpressions: [
          { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["x"] },
        ],
      },
      podSelector: { matchExpressions: [{ key: "quarantined", operator: "DoesNotExist" }] },
    },
  ].map((peer) => ({
    name: `a peer that selects every pod of every namespace is no isolation: ${JSON.stringify(peer)}`,
    policies: [
      np("wide", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [peer] }],
        egress: [dns, { to: [peer] }],
      }),
    ],
    egress: 1,
    ingress: 1,
  })),
  ...[
    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "agents" } } },
    { namespaceSelector: {}, podSelector: { matchLabels: { agent: "a" } } },
    { namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] } },
  ].map((peer) => ({
    name: `a peer narrowed by a label that must be present is not every pod: ${JSON.stringify(peer)}`,
    policies: [
      np("narrow", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [peer] }],
        egress: [dns],
      }),
    ],
    egress: 0,
    ingress: 0,
  })),
];

for (const c of cases) {
  for (const { kind, object, specPath } of inEveryKind({
    containers: [{ name: "app", image: "x" }],
  })) {
    test(`network: ${c.name} (${kind})`, () => {
      const ctx = contextFor(object, { networkPolicies: c.policies });
      const labelsPath = specPath.replace(/spec$/, "metadata") + ".labels";
      const e = egress.check(ctx);
      const i = ingress.check(ctx);
      assert.equal(e.length, c.egress, JSON.stringify(e));
      assert.equal(i.length, c.ingress, JSON.stringify(i));
      for (const f of [...e, ...i]) assert.equal(f.path, labelsPath);
      for (const f of e) assert.equal(f.rule, "network/egress-restricted");
      for (const f of i) assert.equal(f.rule, "network/ingress-restricted");
    });
  }
}

test("malformed ipBlocks are invalid input", () => {
  const table: [Record<string, unknown>, string][] = [
    [{ cidr: "0.0.0.0" }, "spec.egress[0].to[0].ipBlock.cidr"],
    [{ cidr: "010.0.0.0/8" }, "spec.egress[0].to[0].ipBlock.cidr"],
    [{ cidr: "::/129" }, "spec.egress[0].to[0].ipBlock.cidr"],
    [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/33"] }, "spec.egress[0].to[0].ipBlock.except[0]"],
    [{ cidr: "10.0.0.0/8", except: ["11.0.0.0/8"] }, "spec.egress[0].to[0].ipBlock.except[0]"],
    [{ cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] }, "spec.egress[0].to[0].ipBlock.except[0]"],
  ];
  for (const [ipBlock, path] of table) {
    const e = assertThrowsWithCode(
      () => np("bad", { egress: [{ to: [{ ipBlock }] }] }),
      "DOCUMENT_INVALID",
      WardenError,
    );
    assert.deepEqual(
      e.problems.map((p) => p.path),
      [path],
      JSON.stringify(ipBlock),
    );
  }
});

test("egress messages say how far an ipBlock reaches", () => {
  const table: [Record<string, unknown>[], RegExp | undefined][] = [
    [[{ cidr: "0.0.0.0/0" }], /every destination: ipBlock 0\.0\.0\.0\/0 allows every IPv4 address/],
    [[{ cidr: "::/0" }], /every destination: ipBlock ::\/0 allows every IPv4 address/],
    [[{ cidr: "::ffff:0.0.0.0/96" }], /every destination/],
    [
      [{ cidr: "0.0.0.0/1" }, { cidr: "128.0.0.0/1" }],
      /every destination: ipBlock 0\.0\.0\.0\/1, 128\.0\.0\.0\/1/,
    ],
    [
      [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }],
      /every public destination and internal ranges: .*does not except 100\.64\.0\.0\/10 \(carrier-grade NAT\), 127\.0\.0\.0\/8 \(loopback\), 169\.254\.0\.0\/16 \(link-local, cloud metadata\), 224\.0\.0\.0\/4 \(multicast\)$/,
    ],
    [[{ cidr: "0.0.0.0/2" }], undefined],
  ];
  for (const [blocks, expected] of table) {
    const policy = np("p", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: blocks.map((ipBlock) => ({ ipBlock })) }],
    });
    const found = egress.check(
      contextFor(
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", namespace: "team-a" },
          spec: { containers: [{ name: "app", image: "x" }] },
        },
        { networkPolicies: [policy] },
      ),
    );
    if (!expected) assert.deepEqual(found, [], JSON.stringify(blocks));
    else {
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.match(found[0]!.message, expected);
    }
  }
});

const webPorts = [
  { port: 80, protocol: "TCP" },
  { port: 443, protocol: "TCP" },
];
function webFetch(rule: Record<string, unknown>): NetworkPolicy {
  return np("web-fetch", {
    podSelector: {},
    policyTypes: ["Ingress", "Egress"],
    ingress: [agentOnly],
    egress: [dns, rule],
  });
}
const internetRule = {
  to: [{ ipBlock: { cidr: "0.0.0.0/0", except: internalV4 } }],
  ports: webPorts,
};
function evidenceDeclaring(internetEgressPorts: number[] | undefined): ImageEvidence {
  const facts: ImageFacts = {
    verifiedSignatures: [{ signer: "key:abc" }],
    rejectedSignatures: [],
    verifiedEvaluations: [
      {
        verdict: "pass",
        trustLevel: "L3",
        time: "2026-05-01T00:00:00Z",
        signer: "key:abc",
        ...(internetEgressPorts ? { kubernetes: [], internetEgressPorts } : {}),
      },
    ],
    rejectedEvaluations: [],
  };
  return { forImage: () => facts };
}

test("internet egress is admitted only when declared and allowed, and denied with a true message", () => {
  const table: {
    name: string;
    policy: NetworkPolicy;
    internetEgress: "allow" | "deny";
    evidence?: ImageEvidence;
    expected: RegExp[];
    absent?: RegExp[];
  }[] = [
    {
      name: "declared on 80 and 443, allowed",
      policy: webFetch(internetRule),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [],
    },
    {
      name: "declared on more ports than the rule allows, allowed",
      policy: webFetch({ ...internetRule, ports: [{ port: 443 }] }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [],
    },
    {
      name: "v4 and v6 web-fetch, declared and allowed",
      policy: webFetch({
        ...internetRule,
        to: [
          ...internetRule.to,
          {
            ipBlock: {
              cidr: "::/0",
              except: ["::ffff:0:0/96", "fc00::/7", "::1/128", "fe80::/10", "ff00::/8"],
            },
          },
        ],
      }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [],
    },
    {
      name: "offline, default policy",
      policy: webFetch(internetRule),
      internetEgress: "deny",
      expected: [
        /egress\[1\] allows internet egress on ports 80, 443 \(ipBlock 0\.0\.0\.0\/0: every public address; private, loopback, link-local and multicast ranges excepted\), which is not admitted/,
        /spec\.network\.internetEgress: deny/,
        /run with --verify-images, or add an exception for network\/egress-restricted/,
      ],
      absent: [/every destination/],
    },
    {
      name: "offline, allowed by the policy",
      policy: webFetch(internetRule),
      internetEgress: "allow",
      expected: [/--verify-images/, /exception/],
      absent: [/every destination/, /spec\.network\.internetEgress/],
    },
    {
      name: "declared, not allowed by the policy",
      policy: webFetch(internetRule),
      internetEgress: "deny",
      evidence: evidenceDeclaring([80, 443]),
      expected: [
        /not admitted: the policy does not allow internet egress \(spec\.network\.internetEgress: deny\)$/,
      ],
    },
    {
      name: "declared on 443 only",
      policy: webFetch(internetRule),
      internetEgress: "allow",
      evidence: evidenceDeclaring([443]),
      expected: [/declares internet egress on port 443 only, not 80$/],
    },
    {
      name: "permissions declared without internet egress",
      policy: webFetch(internetRule),
      internetEgress: "allow",
      evidence: evidenceDeclaring([]),
      expected: [/does not declare internet egress/],
    },
    {
      name: "no evaluation declares permissions",
      policy: webFetch(internetRule),
      internetEgress: "allow",
      evidence: evidenceDeclaring(undefined),
      expected: [/does not declare internet egress/],
    },
    {
      name: "internet egress on every port",
      policy: webFetch({ to: internetRule.to }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [
        /allows internet egress on every port .*limit it to the ports the server declares$/,
      ],
    },
    {
      name: "a named port cannot be checked against the declaration",
      policy: webFetch({ ...internetRule, ports: [{ port: "https" }] }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [/on named port "https"/],
    },
    {
      name: "a port range beyond the declaration",
      policy: webFetch({ ...internetRule, ports: [{ port: 443, endPort: 444 }] }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [/on ports 443, 444 .*only, not 444$/],
    },
    {
      name: "cloud metadata left open is not internet egress",
      policy: webFetch({
        to: [
          {
            ipBlock: {
              cidr: "0.0.0.0/0",
              except: internalV4.filter((c) => !c.startsWith("169.254")),
            },
          },
        ],
        ports: webPorts,
      }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [
        /opens the pod to every public destination and internal ranges: .*169\.254\.0\.0\/16 \(link-local, cloud metadata\)$/,
      ],
    },
    {
      name: "all addresses limited by ports is still every destination",
      policy: webFetch({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: webPorts }),
      internetEgress: "allow",
      evidence: evidenceDeclaring([80, 443]),
      expected: [
        /opens the pod to every destination: ipBlock 0\.0\.0\.0\/0 allows every IPv4 address/,
      ],
    },
  ];
  const { object } = inEveryKind({
    containers: [{ name: "app", image: "ghcr.io/acme/fetch@sha256:" + "a".repeat(64) }],
  })[0]!;
  for (const c of table) {
    const found = egress.check(
      contextFor(object, {
        networkPolicies: [c.policy],
        settings: { internetEgress: c.internetEgress },
        ...(c.evidence ? { evidence: c.evidence } : {}),
      }),
    );
    if (c.expected.length === 0) {
      assert.deepEqual(found, [], c.name);
      continue;
    }
    assert.equal(found.length, 1, `${c.name}: ${JSON.stringify(found)}`);
    for (const re of c.expected) assert.match(found[0]!.message, re, c.name);
    for (const re of c.absent ?? []) assert.doesNotMatch(found[0]!.message, re, c.name);
  }
});

test("internet ingress is still every public source", () => {
  const policy = np("in", {
    podSelector: {},
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0", except: internalV4 } }], ports: webPorts }],
  });
  const { object } = inEveryKind({ containers: [{ name: "app", image: "x" }] })[0]!;
  const found = ingress.check(
    contextFor(object, {
      networkPolicies: [policy],
      settings: { internetEgress: "allow" },
      evidence: evidenceDeclaring([80, 443]),
    }),
  );
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /opens the pod to every public source \(internet\)/);
});

test("blocks that only together cover every address open the pod, across rules and policies", () => {
  const half = (name: string, cidr: string, port: number) =>
    np(name, {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [agentOnly],
      egress: [{ to: [{ ipBlock: { cidr } }], ports: [{ port }] }],
    });
  const table: [string, NetworkPolicy[], RegExp | undefined][] = [
    [
      "two policies",
      [half("low", "0.0.0.0/1", 443), half("high", "128.0.0.0/1", 80)],
      /NetworkPolicies team-a\/low egress\[0\], team-a\/high egress\[0\] together open the pod to every destination: ipBlock 0\.0\.0\.0\/1, 128\.0\.0\.0\/1 allow every IPv4 address/,
    ],
    [
      "two rules of one policy",
      [
        np("both", {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            { to: [{ ipBlock: { cidr: "0.0.0.0/2" } }, { ipBlock: { cidr: "64.0.0.0/2" } }] },
            { to: [{ ipBlock: { cidr: "128.0.0.0/1" } }] },
          ],
        }),
      ],
      /together open the pod to every destination/,
    ],
    ["one half only", [half("low", "0.0.0.0/1", 443)], undefined],
  ];
  const { object } = inEveryKind({ containers: [{ name: "app", image: "x" }] })[0]!;
  for (const [name, policies, expected] of table) {
    const found = egress.check(contextFor(object, { networkPolicies: policies }));
    if (!expected) assert.deepEqual(found, [], name);
    else {
      assert.equal(found.length, 1, `${name}: ${JSON.stringify(found)}`);
      assert.match(found[0]!.message, expected, name);
    }
  }
});

test("a hostNetwork pod is not isolated by any NetworkPolicy", () => {
  for (const { kind, object, specPath } of inEveryKind({
    hostNetwork: true,
    containers: [{ name: "app", image: "x" }],
  })) {
    const ctx = contextFor(object, {
      networkPolicies: [np("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })],
    });
    for (const rule of [egress, ingress]) {
      const findings = rule.check(ctx);
      assert.equal(findings.length, 1, kind);
      assert.equal(findings[0]!.path, `${specPath}.hostNetwork`);
      assert.match(findings[0]!.message, /NetworkPolicies do not isolate/);
    }
  }
});

test("a Job's pods carry the labels the API server adds, and NetworkPolicies select on them both ways", () => {
  const spec = { containers: [{ name: "app", image: "x" }], restartPolicy: "Never" };
  const template = { metadata: { labels: { app: "x" } }, spec };
  const job = (jobSpec: Record<string, unknown> = {}) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "backup", namespace: "team-a" },
    spec: { template, ...jobSpec },
  });
  const cronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "nightly", namespace: "team-a" },
    spec: { schedule: "0 1 * * *", jobTemplate: { spec: { template } } },
  };
  const denyWhere = (podSelector: Record<string, unknown>) => [
    np("deny", { podSelector, policyTypes: ["Ingress", "Egress"] }),
  ];
  const isolated = (object: unknown, networkPolicies: NetworkPolicy[]) => {
    const ctx = contextFor(object, { networkPolicies });
    return egress.check(ctx).length === 0 && ingress.check(ctx).length === 0;
  };
  // A deny-all that leaves out every Job's pods does not isolate a Job, nor a CronJob's Jobs.
  const notJobs = denyWhere({ matchExpressions: [{ key: "job-name", operator: "DoesNotExist" }] });
  assert.equal(isolated(job(), notJobs), false);
  assert.equal(isolated(cronJob, notJobs), false);
  assert.equal(isolated(job({ manualSelector: true, selector: {} }), notJobs), true);
  // One that selects Jobs by the added labels does isolate them.
  const jobs = denyWhere({
    matchExpressions: [{ key: "batch.kubernetes.io/controller-uid", operator: "Exists" }],
  });
  assert.equal(isolated(job(), jobs), true);
  assert.equal(isolated(cronJob, jobs), true);
  assert.equal(isolated({ ...job(), kind: "Deployment", apiVersion: "apps/v1" }, jobs), false);
  // By name: the Job's own name is known, a CronJob's Jobs' names are not.
  const named = (name: string) =>
    denyWhere({ matchLabels: { "batch.kubernetes.io/job-name": name } });
  assert.equal(isolated(job(), named("backup")), true);
  assert.equal(isolated(job(), named("other")), false);
  assert.equal(isolated(cronJob, named("nightly")), false);
  // What the object already carries (at admission, the uid the API server set) is kept.
  const admitted = job({
    template: {
      ...template,
      metadata: { labels: { app: "x", "controller-uid": "0a1b", "job-name": "backup" } },
    },
  });
  assert.equal(isolated(admitted, denyWhere({ matchLabels: { "controller-uid": "0a1b" } })), true);
});
