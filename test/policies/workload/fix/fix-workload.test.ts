import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse, parseDocument } from "yaml";
import type { NetworkPolicy } from "../../../../policies/deployment/kubernetes-objects.ts";
import {
  createClusterState,
  type ClusterState,
} from "../../../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../../../policies/workload/engine.ts";
import {
  fixWorkload,
  type DigestLookup,
  type FixResult,
} from "../../../../policies/workload/fix/fix-workload.ts";
import { markedChoices } from "../../../../policies/workload/fix/markers.ts";
import { KUBECTL_YAML } from "../../../../policies/kubectl-yaml.ts";
import { parseNetworkPolicy } from "../../../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../../../policies/workload/policy.ts";
import { parseRbacObject } from "../../../../policies/workload/rbac.ts";
import { toWorkload } from "../../../../policies/workload/workload.ts";

const POLICY = compilePolicy(
  parse(readFileSync(new URL("../../../../policies/default.yaml", import.meta.url), "utf8")),
);
const NOW = new Date("2026-06-01T00:00:00Z");

interface Container {
  image?: string;
  securityContext?: Record<string, unknown>;
  volumeMounts?: unknown[];
  resources?: unknown;
}

interface PodSpec {
  securityContext?: unknown;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  volumes?: { name: string; projected?: { sources: unknown[] } }[];
  containers: Container[];
}

/** The pod spec of a Pod or of a controller's template, from YAML. */
function podOf(text: string): PodSpec {
  const o = parse(text, KUBECTL_YAML) as {
    kind: string;
    spec: PodSpec & { template: { spec: PodSpec } };
  };
  return o.kind === "Pod" ? o.spec : o.spec.template.spec;
}

function containerOf(text: string): Container {
  return podOf(text).containers[0] ?? {};
}

function policyOf(text: string | undefined): NetworkPolicy {
  return parse(text ?? "") as NetworkPolicy;
}

const DEPLOYMENT = `# the server
apiVersion: apps/v1
kind: Deployment
metadata:
  name: weather
  namespace: mcp
spec:
  selector:
    matchLabels: { app: weather }
  template:
    metadata:
      labels: { app: weather, tier: mcp }
    spec:
      containers:
        - name: server # the only one
          image: ghcr.io/acme/weather:1.2
          ports: [{ containerPort: 8080 }]
`;

interface Fixed {
  text: string;
  result: FixResult;
  /** Rules that still deny after the fix, the NetworkPolicy (if any) applied. */
  denying: string[];
}

function fixText(
  text: string,
  opts: { cluster?: ClusterState; digests?: Map<string, DigestLookup>; rbac?: unknown[] } = {},
): Fixed {
  const rbac = (opts.rbac ?? []).map((o) => parseRbacObject(o));
  const cluster = opts.cluster ?? createClusterState({ rbac });
  // As the CLI reads it: YAML 1.1 scalars and merge keys.
  const doc = parseDocument(text, KUBECTL_YAML);
  const workload = toWorkload(doc.toJS());
  const { findings } = judgeWorkload(workload, { policy: POLICY, cluster, now: NOW });
  const result = fixWorkload(
    { doc, root: [], workload, findings },
    { cluster, settings: POLICY.settings, digests: opts.digests },
  );
  const fixedText = doc.toString();
  const networkPolicies = result.networkPolicy
    ? [parseNetworkPolicy(parse(result.networkPolicy) as unknown)]
    : [];
  const after = judgeWorkload(toWorkload(parse(fixedText, KUBECTL_YAML)), {
    policy: POLICY,
    cluster: createClusterState({ rbac, networkPolicies }),
    now: NOW,
  });
  const denying = after.findings.filter((f) => f.action === "enforce").map((f) => f.rule);
  return { text: fixedText, result, denying: [...new Set(denying)].sort() };
}

test("a bare Deployment gets the restricted profile, a read-only root with /tmp, no token, placeholder resources", () => {
  const { text, denying, result } = fixText(DEPLOYMENT);
  const pod = podOf(text);
  const container = containerOf(text);
  assert.deepEqual(pod.securityContext, {
    seccompProfile: { type: "RuntimeDefault" },
    runAsNonRoot: true,
    runAsUser: 65532,
  });
  assert.equal(pod.automountServiceAccountToken, false);
  assert.deepEqual(container.securityContext, {
    capabilities: { drop: ["ALL"] },
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
  });
  assert.deepEqual(pod.volumes, [{ name: "tmp", emptyDir: {} }]);
  assert.deepEqual(container.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
  assert.deepEqual(container.resources, {
    limits: { cpu: "500m", memory: "256Mi" },
    requests: { cpu: "500m", memory: "256Mi" },
  });
  // Only the tag is left, and the fix says how to pin it.
  assert.deepEqual(denying, ["image/digest-pinned"]);
  const pin = result.decisions.find((d) => d.rules.includes("image/digest-pinned"));
  assert.match(pin?.what ?? "", /--resolve-digests.*crane digest ghcr\.io\/acme\/weather:1\.2/);
  // Comments stay; the choices are marked where they are made.
  assert.match(text, /^# the server\n/);
  assert.match(text, /- name: server # the only one\n/);
  assert.match(text, /cpu: 500m # mcp-warden: placeholder, set from measurements/);
  assert.match(text, /runAsUser: 65532 # mcp-warden: chosen non-root user id/);
  assert.deepEqual(
    markedChoices(parseDocument(text)).map((c) => c.path),
    ["spec.template.spec.containers[0].resources", "spec.template.spec.securityContext.runAsUser"],
  );
});

test("the NetworkPolicy denies all but DNS, selects by the controller's selector and asks who may connect", () => {
  const { result } = fixText(DEPLOYMENT);
  const np = policyOf(result.networkPolicy);
  assert.deepEqual(np.metadata, {
    name: "weather-default-deny",
    namespace: "mcp",
    labels: { "app.kubernetes.io/managed-by": "mcp-warden" },
  });
  assert.deepEqual(np.spec.podSelector, { matchLabels: { app: "weather" } });
  assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
  assert.deepEqual(np.spec.ingress, []);
  assert.deepEqual(
    np.spec.egress.map((r) => (r.ports ?? []).map((p) => p.port)),
    [[53, 53]],
  );
  const choices = markedChoices(parseDocument(result.networkPolicy ?? ""));
  assert.deepEqual(
    choices.map((c) => c.path),
    ["spec.ingress", "spec.egress"],
  );
  assert.match(choices[0]?.what ?? "", /agents or namespaces .* on 8080\/TCP/);
});

test("a NetworkPolicy among the inputs that isolates only ingress gets an egress-only companion", () => {
  const ingressOnly = parseNetworkPolicy({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "in", namespace: "mcp" },
    spec: { podSelector: { matchLabels: { app: "weather" } }, policyTypes: ["Ingress"] },
  });
  const cluster = createClusterState({ networkPolicies: [ingressOnly] });
  const { result } = fixText(DEPLOYMENT, { cluster });
  const np = policyOf(result.networkPolicy);
  assert.deepEqual(np.spec.policyTypes, ["Egress"]);
  assert.equal(np.spec.ingress, undefined);
});

test("an open NetworkPolicy among the inputs is not edited: a decision names it", () => {
  const open = parseNetworkPolicy({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "open", namespace: "mcp" },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] },
  });
  const { result } = fixText(DEPLOYMENT, {
    cluster: createClusterState({ networkPolicies: [open] }),
  });
  assert.equal(result.networkPolicy, undefined);
  const rules = result.decisions.flatMap((d) => d.rules);
  assert.ok(rules.includes("network/egress-restricted"));
  assert.ok(rules.includes("network/ingress-restricted"));
  assert.match(
    result.decisions.find((d) => d.rules.includes("network/egress-restricted"))?.what ?? "",
    /NetworkPolicy mcp\/open .*does not edit existing NetworkPolicies/,
  );
});

test("resolved digests are written next to the tag; a failed lookup is a decision", () => {
  const ok = fixText(DEPLOYMENT, {
    digests: new Map([["ghcr.io/acme/weather:1.2", { digest: `sha256:${"a".repeat(64)}` }]]),
  });
  assert.equal(containerOf(ok.text).image, `ghcr.io/acme/weather:1.2@sha256:${"a".repeat(64)}`);
  assert.ok(!ok.denying.includes("image/digest-pinned"));
  const failed = fixText(DEPLOYMENT, {
    digests: new Map([["ghcr.io/acme/weather:1.2", { error: "manifest unknown" }]]),
  });
  assert.deepEqual(failed.denying, ["image/digest-pinned"]);
  assert.match(failed.result.decisions[0]?.what ?? "", /could not be pinned: manifest unknown/);
});

test("what could break the workload is left as written, with a decision for each", () => {
  const risky = `apiVersion: v1
kind: Pod
metadata: { name: agent, labels: { app: agent } }
spec:
  hostNetwork: true
  volumes:
    - name: docker
      hostPath: { path: /var/run/docker.sock }
  containers:
    - name: c
      image: r/c@sha256:${"b".repeat(64)}
      securityContext:
        privileged: true
        runAsNonRoot: false
        allowPrivilegeEscalation: true
        capabilities: { add: [SYS_ADMIN], drop: [all] }
`;
  const { text, denying, result } = fixText(risky);
  const pod = podOf(text);
  assert.equal(pod.hostNetwork, true);
  assert.deepEqual(pod.volumes?.[0], {
    name: "docker",
    hostPath: { path: "/var/run/docker.sock" },
  });
  const sc = containerOf(text).securityContext ?? {};
  assert.equal(sc.privileged, true);
  assert.equal(sc.runAsNonRoot, false);
  assert.equal(sc.allowPrivilegeEscalation, true);
  // Lowercase `all` is what the author meant: corrected in place.
  assert.deepEqual(sc.capabilities, { add: ["SYS_ADMIN"], drop: ["ALL"] });
  assert.deepEqual(denying, [
    // A pod on the node's network is not isolated by any NetworkPolicy.
    "network/egress-restricted",
    "network/ingress-restricted",
    "pod-security/allow-privilege-escalation",
    "pod-security/capabilities",
    "pod-security/host-namespaces",
    "pod-security/host-path-volumes",
    "pod-security/privileged",
    "pod-security/restricted-volumes",
    "pod-security/run-as-non-root",
  ]);
  const open = new Set(result.decisions.flatMap((d) => d.rules));
  for (const rule of denying) assert.ok(open.has(rule), rule);
});

const GRANT = [
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "reader", namespace: "mcp" },
    rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "reader", namespace: "mcp" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: "mcp" }],
  },
];

test("a service account with grants gets a projected API token; the grant itself is a decision", () => {
  const { text, denying, result } = fixText(DEPLOYMENT, { rbac: GRANT });
  const pod = podOf(text);
  assert.equal(pod.automountServiceAccountToken, false);
  const api = pod.volumes?.find((v) => v.name === "kube-api-access");
  assert.deepEqual(api?.projected?.sources[0], {
    serviceAccountToken: { expirationSeconds: 3600, path: "token" },
  });
  assert.deepEqual(containerOf(text).volumeMounts?.at(-1), {
    name: "kube-api-access",
    mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
    readOnly: true,
  });
  assert.deepEqual(denying, ["image/digest-pinned", "rbac/no-secret-read"]);
  assert.match(
    result.decisions.find((d) => d.rules.includes("rbac/no-secret-read"))?.what ?? "",
    /RoleBinding mcp\/reader.*revoke it in the role if the server does not need it/,
  );
  assert.match(result.networkPolicy ?? "", /allow the API server's address and port too/);
  // Without grants, no token at all.
  const plain = podOf(fixText(DEPLOYMENT).text);
  assert.ok(!JSON.stringify(plain.volumes).includes("serviceAccountToken"));
});

test("an existing /tmp mount and a request above the default are respected", () => {
  const text = DEPLOYMENT.replace(
    "ports: [{ containerPort: 8080 }]",
    `volumeMounts: [{ name: scratch, mountPath: /tmp/ }]
          resources:
            requests: { memory: 1Gi, cpu: 100m }`,
  ).replace(
    "      containers:",
    "      volumes: [{ name: scratch, emptyDir: {} }]\n      containers:",
  );
  const fixed = fixText(text);
  assert.deepEqual(podOf(fixed.text).volumes, [{ name: "scratch", emptyDir: {} }]);
  assert.deepEqual(containerOf(fixed.text).resources, {
    requests: { memory: "1Gi", cpu: "100m" },
    limits: { memory: "1Gi", cpu: "500m" },
  });
});

test("fixing the fixed document changes nothing", () => {
  const once = fixText(DEPLOYMENT, {
    digests: new Map([["ghcr.io/acme/weather:1.2", { digest: `sha256:${"c".repeat(64)}` }]]),
  });
  const doc = parseDocument(once.text);
  const workload = toWorkload(doc.toJS());
  const np = parseNetworkPolicy(policyOf(once.result.networkPolicy));
  const cluster = createClusterState({ networkPolicies: [np] });
  const { findings } = judgeWorkload(workload, { policy: POLICY, cluster, now: NOW });
  assert.deepEqual(findings, []);
  const again = fixWorkload(
    { doc, root: [], workload, findings },
    { cluster, settings: POLICY.settings, digests: undefined },
  );
  assert.equal(doc.toString(), once.text);
  assert.deepEqual(again, { decisions: [] });
});

function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/fix/${name}`, import.meta.url), "utf8");
}

test("allowPrivilegeEscalation: false is not set beside privileged or CAP_SYS_ADMIN, which the API server rejects", () => {
  const { text, result } = fixText(fixture("privileged-daemonset.yaml"));
  const containers = podOf(text).containers;
  for (const c of containers) assert.equal(c.securityContext?.allowPrivilegeEscalation, undefined);
  // The rest of the restricted profile is still written.
  assert.deepEqual(containers[1]?.securityContext?.capabilities, {
    add: ["CAP_SYS_ADMIN"],
    drop: ["ALL"],
  });
  const left = result.decisions.filter((d) =>
    d.rules.includes("pod-security/allow-privilege-escalation"),
  );
  assert.deepEqual(
    left.map((d) => d.path),
    [
      "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
      "spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation",
    ],
  );
  assert.match(left[0]?.what ?? "", /privileged: true or CAP_SYS_ADMIN/);
});

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

test("a Job's NetworkPolicy selects only by label values the API server accepts", () => {
  const job = policyOf(fixText(fixture("job.yaml")).result.networkPolicy);
  const labels = job.spec.podSelector.matchLabels ?? {};
  assert.equal(labels.job, "mcp-index");
  assert.equal(labels["job-name"], "mcp-index");
  for (const v of Object.values(labels)) assert.match(v, LABEL_VALUE);
  // A CronJob whose template has no labels of its own: nothing known to select by yet.
  const cron = fixText(fixture("cronjob.yaml"));
  assert.equal(cron.result.networkPolicy, undefined);
  assert.ok(
    cron.result.decisions.some(
      (d) =>
        d.rules.includes("network/egress-restricted") &&
        /no labels a NetworkPolicy could select it by/.test(d.what),
    ),
  );
});

test("a Windows pod gets no field the API server forbids there (runAsUser, readOnlyRootFilesystem)", () => {
  const { text, denying, result } = fixText(fixture("windows-deployment.yaml"));
  const pod = podOf(text);
  assert.deepEqual(pod.securityContext, { runAsNonRoot: true });
  assert.deepEqual(containerOf(text).securityContext, {
    windowsOptions: { runAsUserName: "ContainerUser" },
  });
  assert.equal(pod.volumes, undefined);
  assert.deepEqual(denying, []);
  assert.ok(!result.decisions.some((d) => d.path.endsWith("runAsUser")));
});

test("a field shared through an alias is fixed where it is anchored, for every container naming it", () => {
  const { text, result } = fixText(fixture("aliased-security-context.yaml"));
  // The anchors and aliases stay: one edit serves every container that names the node.
  assert.match(text, /securityContext: &sc\n/);
  assert.match(text, /securityContext: \*sc\n/);
  const [a, b, debug, debugToo] = podOf(text).containers;
  for (const c of [a, b]) {
    assert.deepEqual(c?.securityContext, {
      runAsUser: 1000,
      capabilities: { drop: ["ALL"] },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    // Read-only through the alias too, so each gets its own /tmp.
    assert.deepEqual(c?.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
  }
  // An explicit true reached through an alias is someone's choice there as well.
  for (const c of [debug, debugToo])
    assert.equal(c?.securityContext?.allowPrivilegeEscalation, true);
  const escalation = result.decisions.filter((d) =>
    d.rules.includes("pod-security/allow-privilege-escalation"),
  );
  assert.deepEqual(
    escalation.map((d) => d.path),
    [2, 3].map(
      (i) => `spec.template.spec.containers[${i}].securityContext.allowPrivilegeEscalation`,
    ),
  );
  assert.ok(!result.decisions.some((d) => /not a (mapping|list) mcp-warden can edit/.test(d.what)));
});

test("an image reference that does not parse is left with the engine's reason, not a pin to paste", () => {
  const malformed = DEPLOYMENT.replace(
    "ghcr.io/acme/weather:1.2",
    "ghcr.io/acme/weather@sha256:ABCDEF",
  );
  for (const digests of [undefined, new Map<string, DigestLookup>()]) {
    const { result } = fixText(malformed, { digests });
    const [pin, ...more] = result.decisions.filter((d) => d.rules.includes("image/digest-pinned"));
    assert.equal(more.length, 0);
    assert.match(pin?.what ?? "", /is not a valid image reference \(invalid digest/);
    assert.doesNotMatch(pin?.what ?? "", /crane digest|--resolve-digests/);
  }
});

test("the added NetworkPolicy never takes the name of one it would replace", () => {
  const ingressOnly = parseNetworkPolicy({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "weather-default-deny", namespace: "mcp" },
    spec: { podSelector: { matchLabels: { app: "weather" } }, policyTypes: ["Ingress"] },
  });
  const cluster = createClusterState({ networkPolicies: [ingressOnly] });
  const { result } = fixText(DEPLOYMENT, { cluster });
  assert.equal(policyOf(result.networkPolicy).metadata.name, "weather-default-deny-2");
  assert.equal(result.networkPolicyName, "mcp/weather-default-deny-2");
  // Nor the name of one added for a workload fixed before, in the same namespace only.
  const doc = parseDocument(DEPLOYMENT);
  const workload = toWorkload(doc.toJS());
  const { findings } = judgeWorkload(workload, { policy: POLICY, cluster, now: NOW });
  const next = fixWorkload(
    { doc, root: [], workload, findings },
    {
      cluster,
      settings: POLICY.settings,
      digests: undefined,
      added: new Set(["mcp/weather-default-deny-2", "other/weather-default-deny-3"]),
    },
  );
  assert.equal(next.networkPolicyName, "mcp/weather-default-deny-3");
});

test("fields brought in by merge keys are read and kept as kubectl reads them", () => {
  const { text, result } = fixText(fixture("merge-keys.yaml"));
  const [a, b, c, d] = podOf(text).containers;
  // An explicit true merged in is someone's choice, as it is where the anchor is written.
  for (const container of [a, b, d])
    assert.equal(container?.securityContext?.allowPrivilegeEscalation, true);
  assert.deepEqual(
    result.decisions
      .filter((x) => x.rules.includes("pod-security/allow-privilege-escalation"))
      .map((x) => x.path),
    [0, 1, 3].map((i) => `spec.containers[${i}].securityContext.allowPrivilegeEscalation`),
  );
  // The container's own securityContext wins over the merged one, and keeps its fields.
  assert.deepEqual(c?.securityContext, {
    runAsUser: 1000,
    capabilities: { drop: ["ALL"] },
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
  });
  assert.equal(b?.securityContext?.readOnlyRootFilesystem, true);
  assert.match(text, /<<: \*escalates\n/);
});

test("a pod its ServiceAccount keeps without a token is not given one, grants or not", () => {
  const account = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "default", namespace: "mcp" },
    automountServiceAccountToken: false,
  };
  const { text, result } = fixText(DEPLOYMENT, { rbac: [...GRANT, account] });
  const pod = podOf(text);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.ok(!JSON.stringify(pod.volumes).includes("serviceAccountToken"));
  assert.ok(!result.decisions.some((d) => /projected Kubernetes API token/.test(d.what)));
  // The grant is still a decision of its own.
  assert.ok(result.decisions.some((d) => d.rules.includes("rbac/no-secret-read")));
  // A pod that asks for the token itself had one: it keeps API access, as a projected token.
  const asks = DEPLOYMENT.replace(
    "      containers:",
    "      automountServiceAccountToken: true\n      containers:",
  );
  const kept = podOf(fixText(asks, { rbac: [...GRANT, account] }).text);
  assert.equal(kept.automountServiceAccountToken, false);
  assert.ok(kept.volumes?.some((v) => v.name === "kube-api-access"));
});

test("a limit that is not a quantity is left to a person; a zero limit gets the placeholder", () => {
  const text = DEPLOYMENT.replace(
    "ports: [{ containerPort: 8080 }]",
    `resources:
            limits: { memory: 1gi, cpu: "0" }`,
  );
  const { text: fixed, result, denying } = fixText(text);
  assert.deepEqual(containerOf(fixed).resources, {
    limits: { memory: "1gi", cpu: "500m" },
    requests: { cpu: "500m" },
  });
  const memory = result.decisions.find((d) => d.path.endsWith("limits.memory"));
  assert.deepEqual(memory?.rules, ["sandbox/resource-limits"]);
  assert.match(memory?.what ?? "", /not a Kubernetes quantity.*only a person knows which amount/);
  assert.ok(denying.includes("sandbox/resource-limits"));
  // Nor is a limit derived from a request that is not a quantity.
  const request = fixText(
    DEPLOYMENT.replace(
      "ports: [{ containerPort: 8080 }]",
      `resources:
            requests: { memory: 2gb }`,
    ),
  );
  assert.deepEqual(containerOf(request.text).resources, {
    requests: { memory: "2gb", cpu: "500m" },
    limits: { cpu: "500m" },
  });
  assert.ok(request.result.decisions.some((d) => d.path.endsWith("limits.memory")));
});

test("the ports a native sidecar serves on are named in the ingress decision", () => {
  const { result } = fixText(fixture("native-sidecar.yaml"));
  const [ingress] = markedChoices(parseDocument(result.networkPolicy ?? "")).filter(
    (c) => c.path === "spec.ingress",
  );
  // An init container that runs to completion first serves nothing.
  assert.match(ingress?.what ?? "", /agents or namespaces that call the server on 4180\/TCP$/);
});
