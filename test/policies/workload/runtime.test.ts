import assert from "node:assert/strict";
import { test } from "node:test";
import { WardenError } from "../../../policies/errors.ts";
import { createClusterState, parseNamespace } from "../../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import { BRIDGE_PATH, GATEWAY_LABEL } from "../../../policies/workload/gateway-contract.ts";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { compliantPodSpec, policyWith } from "../../support/policies.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const SERVER = `ghcr.io/acme/weather@sha256:${"a".repeat(64)}`;
const GATEWAY = `ghcr.io/mcp-warden/mcp-warden@sha256:${"b".repeat(64)}`;
const OTHER = `ghcr.io/evil/proxy@sha256:${"c".repeat(64)}`;
const RUN = {
  transport: "stdio" as const,
  entrypoint: ["/usr/local/bin/node"],
  cmd: ["/app/index.js"],
};

const policy = compilePolicy(
  policyWith({
    rules: { "*": "off", "runtime/*": "enforce" },
    runtime: {
      gateway: { image: GATEWAY },
      gatewayRequired: {
        namespaceSelector: { matchLabels: { "mcp-warden.dev/gateway": "required" } },
      },
    },
  }),
);

function facts(run?: typeof RUN): ImageFacts {
  return {
    digest: `sha256:${"a".repeat(64)}`,
    verifiedSignatures: [{ signer: "key:x" }],
    rejectedSignatures: [],
    verifiedEvaluations: [
      {
        verdict: "pass",
        trustLevel: "L3",
        time: "2026-05-30T00:00:00Z",
        signer: "key:x",
        ...(run ? { run } : {}),
      },
    ],
    rejectedEvaluations: [],
  };
}

/** Registry facts: the server image evaluated (with or without a recorded stdio run). */
function evidence(run?: typeof RUN): ImageEvidence {
  return {
    forImage: (ref) => (ref === SERVER ? facts(run) : { ...facts(), verifiedEvaluations: [] }),
  };
}

const ns = (name: string, labels: Record<string, string> = {}) =>
  parseNamespace({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });

function gatewayOnlyPolicy(from: unknown[], namespace = "team-a") {
  return parseNetworkPolicy({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "weather", namespace },
    spec: {
      podSelector: { matchLabels: { app: "weather" } },
      policyTypes: ["Ingress"],
      ingress: [{ from }],
    },
  });
}
const GATEWAY_PEER = { podSelector: { matchLabels: { [GATEWAY_LABEL]: "weather" } } };

/** The server pod as the generator writes it for a stdio server. */
function bridged(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base = compliantPodSpec();
  const server = (base.containers as Record<string, unknown>[])[0]!;
  return {
    ...base,
    initContainers: [
      {
        name: "bridge",
        image: GATEWAY,
        command: [BRIDGE_PATH, "--install", "/bridge/bridge"],
        volumeMounts: [{ name: "bridge", mountPath: "/bridge" }],
      },
    ],
    containers: [
      {
        ...server,
        image: SERVER,
        command: [BRIDGE_PATH],
        args: ["--port", "8080", "--", ...RUN.entrypoint, ...RUN.cmd],
        volumeMounts: [{ name: "bridge", mountPath: "/mcp-warden", readOnly: true }],
      },
    ],
    volumes: [{ name: "bridge", emptyDir: {} }],
    ...over,
  };
}

function deployment(
  podSpec: Record<string, unknown>,
  labels: Record<string, string> = { app: "weather" },
) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "weather", namespace: "team-a" },
    spec: { template: { metadata: { labels }, spec: podSpec } },
  };
}

function judge(
  object: unknown,
  opts: {
    evidence?: ImageEvidence;
    networkPolicies?: ReturnType<typeof gatewayOnlyPolicy>[];
    namespaces?: ReturnType<typeof ns>[];
    complete?: boolean;
    unavailable?: { namespaces?: string; networkPolicies?: string };
  } = {},
) {
  const cluster = createClusterState({
    networkPolicies: opts.networkPolicies ?? [],
    ...(opts.namespaces
      ? { namespaces: opts.namespaces, namespacesComplete: opts.complete ?? true }
      : {}),
    ...(opts.unavailable ? { unavailable: opts.unavailable } : {}),
  });
  return judgeWorkload(toWorkload(object), {
    policy,
    cluster,
    now: NOW,
    evidence: opts.evidence,
  }).findings.map((f) => `${f.rule} ${f.path}: ${f.message}`);
}

test("runtime/gateway-required: when it applies and what passes it", () => {
  const plain = {
    ...compliantPodSpec(),
    containers: [{ ...(compliantPodSpec().containers as object[])[0], image: SERVER }],
  };
  const selected = [ns("team-a", { "mcp-warden.dev/gateway": "required" })];
  const table: [string, unknown, Parameters<typeof judge>[1], RegExp[]][] = [
    [
      "no evaluation, namespace not selected: nothing to say",
      deployment(plain),
      { namespaces: [ns("team-a")] },
      [],
    ],
    [
      "an evaluated image without a NetworkPolicy",
      deployment(plain),
      { evidence: evidence() },
      [
        /runtime\/gateway-required spec\.template\.metadata\.labels: .*carries a verified mcp-warden evaluation.*no NetworkPolicy in namespace team-a selects it for Ingress/,
      ],
    ],
    [
      "an evaluated image behind a gateway-only NetworkPolicy",
      deployment(plain),
      { evidence: evidence(), networkPolicies: [gatewayOnlyPolicy([GATEWAY_PEER])] },
      [],
    ],
    [
      "a selected namespace, no evaluation, an open NetworkPolicy",
      deployment(plain),
      { namespaces: selected, networkPolicies: [gatewayOnlyPolicy([])] },
      [
        /namespace team-a is selected by spec\.runtime\.gatewayRequired\.namespaceSelector.*has no from and admits every peer/,
      ],
    ],
    [
      "a peer without the gateway label",
      deployment(plain),
      {
        namespaces: selected,
        networkPolicies: [gatewayOnlyPolicy([{ podSelector: { matchLabels: { app: "agent" } } }])],
      },
      [/from\[0\]: its podSelector does not require the gateway's label/],
    ],
    [
      "an ipBlock beside the gateway",
      deployment(plain),
      {
        namespaces: selected,
        networkPolicies: [gatewayOnlyPolicy([GATEWAY_PEER, { ipBlock: { cidr: "10.0.0.0/8" } }])],
      },
      [/from\[1\]: ipBlock 10\.0\.0\.0\/8 admits addresses/],
    ],
    [
      "gateway-labelled pods of any namespace",
      deployment(plain),
      {
        namespaces: selected,
        networkPolicies: [gatewayOnlyPolicy([{ ...GATEWAY_PEER, namespaceSelector: {} }])],
      },
      [/admits pods of other namespaces/],
    ],
    [
      "gateway-labelled pods of its own namespace, named",
      deployment(plain),
      {
        namespaces: selected,
        networkPolicies: [
          gatewayOnlyPolicy([
            {
              ...GATEWAY_PEER,
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "team-a" } },
            },
          ]),
        ],
      },
      [],
    ],
    [
      "the gateway label required by expression",
      deployment(plain),
      {
        namespaces: selected,
        networkPolicies: [
          gatewayOnlyPolicy([
            { podSelector: { matchExpressions: [{ key: GATEWAY_LABEL, operator: "Exists" }] } },
          ]),
        ],
      },
      [],
    ],
    [
      "the label the requester sets on the pod does not select the namespace",
      deployment(plain, { app: "weather", "mcp-warden.dev/gateway": "required" }),
      { namespaces: [ns("team-a")] },
      [],
    ],
    [
      "a namespace the cluster state does not know (webhook): fail closed",
      deployment(plain),
      { namespaces: [ns("other")], complete: true },
      [/cannot tell whether the pod must run behind its gateway: namespace team-a is not known/],
    ],
    [
      "a namespace offline check was not given: not judged by namespace",
      deployment(plain),
      { namespaces: [ns("other")], complete: false },
      [],
    ],
    [
      "namespace labels from a stale watch",
      deployment(plain),
      { namespaces: selected, unavailable: { namespaces: "the namespaces watch has not synced" } },
      [/labels of namespace team-a cannot be trusted: the namespaces watch has not synced/],
    ],
    [
      "NetworkPolicies from a stale watch",
      deployment(plain),
      {
        evidence: evidence(),
        unavailable: { networkPolicies: "the networkpolicies watch has not synced" },
      },
      [/cannot be judged: the networkpolicies watch has not synced/],
    ],
  ];
  for (const [name, object, opts, expected] of table) {
    const got = judge(object, opts);
    assert.equal(got.length, expected.length, `${name}: ${got.join("\n")}`);
    expected.forEach((re, i) => assert.match(got[i] ?? "", re, name));
  }
});

test("runtime/gateway-required: a stdio server runs through the bridge, with the evaluated command", () => {
  const np = [gatewayOnlyPolicy([GATEWAY_PEER])];
  const withRun = { evidence: evidence(RUN), networkPolicies: np };
  const server = (spec: Record<string, unknown>) =>
    (spec.containers as Record<string, unknown>[])[0]!;
  const edit = (f: (spec: Record<string, unknown>) => void) => {
    const spec = bridged();
    f(spec);
    return deployment(spec);
  };
  const table: [string, unknown, RegExp[]][] = [
    ["as generated", deployment(bridged()), []],
    [
      "the image's own command",
      edit((s) => {
        delete server(s).command;
        delete server(s).args;
      }),
      [
        /containers\[0\]\.command: container "server" is a stdio server .*its command is null; set command: \[\/mcp-warden\/bridge\]/,
      ],
    ],
    [
      "another command after --",
      edit((s) => (server(s).args = ["--", "/bin/sh", "-c", "nc -l 8080"])),
      [
        /containers\[0\]\.args: .*after -- it runs \["\/bin\/sh","-c","nc -l 8080"\], not what was evaluated/,
      ],
    ],
    [
      "the bridge volume writable in the server",
      edit((s) => (server(s).volumeMounts = [{ name: "bridge", mountPath: "/mcp-warden" }])),
      [/containers\[0\]\.volumeMounts\[0\]: .*with readOnly: true/],
    ],
    [
      "the bridge from a hostPath",
      edit((s) => (s.volumes = [{ name: "bridge", hostPath: { path: "/opt/bridge" } }])),
      [/volumes\[0\]: .*must be an emptyDir/],
    ],
    [
      "the bridge copied by another image",
      edit((s) => ((s.initContainers as Record<string, unknown>[])[0]!.image = OTHER)),
      [
        /initContainers\[0\]\.volumeMounts: .*init container "bridge" can write the bridge's volume; only init containers running the policy's gateway image/,
      ],
    ],
    [
      "no init container fills it",
      edit((s) => delete s.initContainers),
      [/volumes\[0\]: .*no init container from the policy's gateway image copies the bridge/],
    ],
  ];
  for (const [name, object, expected] of table) {
    const got = judge(object, withRun);
    assert.equal(got.length, expected.length, `${name}: ${got.join("\n")}`);
    expected.forEach((re, i) => assert.match(got[i] ?? "", re, name));
  }
  // Without a recorded run (an evaluation older than the field) only the network is judged.
  assert.deepEqual(judge(deployment(bridged()), { evidence: evidence(), networkPolicies: np }), []);
});

test("runtime/gateway-identity: only the policy's gateway image may carry the gateway label", () => {
  const labels = { app: "weather-gateway", [GATEWAY_LABEL]: "weather" };
  const gatewayPod = (image: string, extra: Record<string, unknown> = {}) =>
    deployment(
      {
        ...compliantPodSpec(),
        containers: [{ ...(compliantPodSpec().containers as object[])[0], image }],
        ...extra,
      },
      labels,
    );
  assert.deepEqual(judge(gatewayPod(GATEWAY)), []);
  // A tag beside the same digest is the same image.
  assert.deepEqual(judge(gatewayPod(GATEWAY.replace("@", ":0.1.0@"))), []);
  const posing = judge(gatewayPod(OTHER));
  assert.equal(posing.length, 1);
  assert.match(
    posing[0]!,
    /runtime\/gateway-identity spec\.template\.spec\.containers\[0\]\.image: .*must run the gateway image .*not "ghcr\.io\/evil\/proxy@sha256:c+"/,
  );
  // The same repository at another digest, or by tag, is not the gateway.
  assert.equal(judge(gatewayPod(GATEWAY.replace(/b{64}/, "d".repeat(64)))).length, 1);
  assert.equal(judge(gatewayPod("ghcr.io/mcp-warden/mcp-warden:0.1.0")).length, 1);
  // Every container counts: a sidecar in the gateway's pod would hold its identity too.
  const sidecar = judge(gatewayPod(GATEWAY, { initContainers: [{ name: "setup", image: OTHER }] }));
  assert.equal(sidecar.length, 1);
  assert.match(sidecar[0]!, /initContainers\[0\]\.image/);
  // A gateway is not itself held to runtime/gateway-required, even with an evaluated image.
  assert.deepEqual(judge(gatewayPod(GATEWAY), { evidence: evidence() }), []);
  // Without a gateway image in the policy no pod may carry the label.
  const none = compilePolicy(policyWith({ rules: { "*": "off", "runtime/*": "enforce" } }));
  const findings = judgeWorkload(toWorkload(gatewayPod(GATEWAY)), {
    policy: none,
    cluster: createClusterState({}),
    now: NOW,
  }).findings;
  assert.deepEqual(
    findings.map((f) => [f.rule, f.path]),
    [["runtime/gateway-identity", 'spec.template.metadata.labels["mcp-warden.dev/gateway-for"]']],
  );
});

test("spec.runtime: the gateway image must be pinned; selectors are checked as the API server checks them", () => {
  const e = assertThrowsWithCode(
    () =>
      compilePolicy(
        policyWith({
          runtime: {
            gateway: { image: "ghcr.io/mcp-warden/mcp-warden:0.1.0" },
            gatewayRequired: {
              namespaceSelector: {
                matchExpressions: [
                  { key: "a", operator: "In" },
                  { key: "b", operator: "Exists", values: ["x"] },
                ],
              },
            },
          },
        }),
      ),
    "POLICY_INVALID",
    WardenError,
  );
  assert.deepEqual(
    e.problems.map((p) => p.path),
    [
      "spec.runtime.gateway.image",
      "spec.runtime.gatewayRequired.namespaceSelector.matchExpressions[0].values",
      "spec.runtime.gatewayRequired.namespaceSelector.matchExpressions[1].values",
    ],
  );
  assertThrowsWithCode(
    () => compilePolicy(policyWith({ runtime: { gatewayRequred: {} } })),
    "POLICY_INVALID",
    WardenError,
  );
});
