import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import {
  DEFAULT_RESOURCES,
  EGRESS_HOSTS_ANNOTATION,
  UNSELECTABLE_AGENTS_ANNOTATION,
  generateKubernetesManifests,
  type KubernetesManifests,
  type KubernetesManifestsInput,
} from "../../../policies/deployment/kubernetes-manifests.ts";
import { deploymentName, labelValue } from "../../../policies/deployment/kubernetes-names.ts";
import type { DeclaredPermissions } from "../../../policies/evaluation/predicate.ts";
import { WardenError } from "../../../policies/errors.ts";
import { runCli } from "../../support/cli.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const IMAGE = `ghcr.io/acme/mcp-weather@sha256:${"3f0c1e6b0a7d2c4e".repeat(4)}`;
const SERVER = "io.github.acme/weather";

interface Finding {
  rule: string;
  action: string;
  path: string;
}
interface JsonReport {
  results: {
    kind: string;
    namespace: string;
    name: string;
    allowed: boolean;
    findings: Finding[];
    skipped: string[];
  }[];
}

const tmp = mkdtempSync(join(tmpdir(), "mcp-warden-manifests-"));
let files = 0;

/** Runs the real `mcp-warden check` (default policy, offline) on a YAML stream. */
async function check(yaml: string): Promise<{ code: number | null; report: JsonReport }> {
  const path = join(tmp, `manifests-${files++}.yaml`);
  writeFileSync(path, yaml);
  const r = await runCli(["check", path, "--format", "json"]);
  assert.ok(r.code === 0 || r.code === 1, `check failed to run (${r.code}): ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as JsonReport };
}

/** The manifests pass the default policy: exit 0, allowed, nothing enforced, image rules skipped. */
async function assertPasses(m: KubernetesManifests, warnings: string[] = []): Promise<void> {
  const { code, report } = await check(m.yaml);
  assert.equal(code, 0, JSON.stringify(report, null, 2));
  assert.equal(report.results.length, 1, "one workload: the Deployment");
  const [result] = report.results;
  assert.equal(result?.kind, "Deployment");
  assert.equal(result.allowed, true);
  assert.deepEqual(
    result.findings.map((f) => `${f.action} ${f.rule}`),
    warnings.map((rule) => `warn ${rule}`),
  );
  // Offline, the registry rules did not pass: they did not run, and the report says so.
  assert.deepEqual(result.skipped, [
    "image/signed",
    "image/evaluated",
    "rbac/within-declared",
    "network/within-declared",
  ]);
  assert.ok(!result.findings.some((f) => f.rule.startsWith("image/")));
}

function permissions(p: Partial<DeclaredPermissions> = {}): DeclaredPermissions {
  return { egress: [], ingress: { agents: [] }, filesystem: [], credentials: [], ...p };
}

function generate(
  p: DeclaredPermissions | undefined,
  extra: Partial<KubernetesManifestsInput> = {},
) {
  const input: KubernetesManifestsInput = { image: IMAGE, serverName: SERVER, version: "1.4.2" };
  if (p !== undefined) input.permissions = p;
  return generateKubernetesManifests({ ...input, ...extra });
}

// Typed views of the generated objects, read as the API would see them.
interface Peer {
  ipBlock?: { cidr: string };
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
}
interface Port {
  port: number;
  protocol: string;
}
interface NetworkPolicyView {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: { from: Peer[]; ports: Port[] }[];
    egress: { to: Peer[]; ports?: Port[] }[];
  };
}
interface ContainerView {
  image: string;
  ports?: { containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
  }[];
  resources: { limits: Record<string, string>; requests: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface DeploymentView {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        automountServiceAccountToken: boolean;
        securityContext: Record<string, unknown>;
        containers: ContainerView[];
        volumes: Record<string, unknown>[];
      };
    };
  };
}

function views(m: KubernetesManifests) {
  assert.deepEqual(
    m.objects.map((o) => o.kind),
    ["ServiceAccount", "Deployment", "NetworkPolicy"],
  );
  const deployment = m.objects[1] as unknown as DeploymentView;
  const container = deployment.spec.template.spec.containers[0];
  assert.ok(container);
  return {
    serviceAccount: m.objects[0] as unknown as {
      metadata: { name: string };
      automountServiceAccountToken: boolean;
    },
    deployment,
    container,
    networkPolicy: m.objects[2] as unknown as NetworkPolicyView,
  };
}

const DNS_EGRESS = {
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

/** What every generated set has, whatever the permissions. */
function assertBaseline(m: KubernetesManifests): ReturnType<typeof views> {
  const v = views(m);
  const { deployment, container, networkPolicy, serviceAccount } = v;
  assert.equal(serviceAccount.automountServiceAccountToken, false);
  assert.equal(deployment.metadata.name, "weather");
  assert.deepEqual(deployment.metadata.labels, {
    "app.kubernetes.io/name": "weather",
    "app.kubernetes.io/version": "1.4.2",
    "app.kubernetes.io/managed-by": "mcp-warden",
  });
  const pod = deployment.spec.template.spec;
  assert.equal(pod.serviceAccountName, serviceAccount.metadata.name);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
  assert.equal(container.image, IMAGE);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
  assert.ok(container.volumeMounts.some((vm) => vm.name === "tmp" && vm.mountPath === "/tmp"));
  assert.ok(pod.volumes.some((vol) => vol.name === "tmp" && "emptyDir" in vol));
  assert.ok(!JSON.stringify(m.objects).includes("hostPath"));
  // The NetworkPolicy selects the Deployment's pods and restricts both directions.
  assert.deepEqual(
    networkPolicy.spec.podSelector.matchLabels,
    deployment.spec.selector.matchLabels,
  );
  for (const [k, val] of Object.entries(networkPolicy.spec.podSelector.matchLabels))
    assert.equal(deployment.spec.template.metadata.labels[k], val);
  assert.deepEqual(networkPolicy.spec.policyTypes, ["Ingress", "Egress"]);
  assert.deepEqual(networkPolicy.spec.egress[0], DNS_EGRESS);
  // The YAML is the objects, after a header comment.
  assert.match(
    m.yaml,
    /^# Kubernetes manifests for the MCP server io\.github\.acme\/weather 1\.4\.2/,
  );
  const docs = parseAllDocuments(m.yaml);
  assert.ok(Array.isArray(docs));
  assert.deepEqual(
    docs.map((d) => d.toJS() as unknown),
    m.objects,
  );
  assert.ok(!/[&*]a\d/.test(m.yaml), "no YAML anchors or aliases");
  return v;
}

test("no permissions declared: no ingress at all, only DNS egress, default resources", async () => {
  const m = generate(undefined);
  const { container, networkPolicy } = assertBaseline(m);
  assert.deepEqual(networkPolicy.spec.ingress, []);
  assert.deepEqual(networkPolicy.spec.egress, [DNS_EGRESS]);
  assert.equal(container.ports, undefined);
  assert.equal(container.env, undefined);
  assert.deepEqual(container.resources.limits, { ...DEFAULT_RESOURCES });
  assert.deepEqual(container.resources.requests, { ...DEFAULT_RESOURCES });
  assert.match(m.yaml, /default to cpu 500m and memory 256Mi/);
  await assertPasses(m);
});

test("egress by host name only: no rule opens ports to every address; the hosts are annotated", async () => {
  const m = generate(
    permissions({
      egress: [{ host: "api.github.com", ports: [443] }, { host: "*.googleapis.com" }],
    }),
  );
  const { networkPolicy } = assertBaseline(m);
  assert.deepEqual(networkPolicy.spec.egress, [DNS_EGRESS]);
  assert.deepEqual(
    JSON.parse(networkPolicy.metadata.annotations?.[EGRESS_HOSTS_ANNOTATION] ?? ""),
    [{ host: "api.github.com", ports: [443] }, { host: "*.googleapis.com" }],
  );
  assert.match(m.yaml, /api\.github\.com:443, \*\.googleapis\.com \(any port\)/);
  assert.match(m.yaml, /^# Host-based egress needs an egress gateway or a CNI with FQDN policies/m);
  await assertPasses(m);
});

test("egress to CIDRs: one rule per endpoint with its ports, after DNS", async () => {
  const m = generate(
    permissions({
      egress: [
        { host: "db.example.com", cidrs: ["10.1.0.0/16", "10.2.0.0/16"], ports: [5432] },
        { cidrs: ["2001:db8::/32"], ports: [8443, 443] },
        { cidrs: ["192.0.2.10/32"] },
      ],
    }),
  );
  const { networkPolicy } = assertBaseline(m);
  assert.deepEqual(networkPolicy.spec.egress.slice(1), [
    {
      to: [{ ipBlock: { cidr: "10.1.0.0/16" } }, { ipBlock: { cidr: "10.2.0.0/16" } }],
      ports: [{ port: 5432, protocol: "TCP" }],
    },
    {
      to: [{ ipBlock: { cidr: "2001:db8::/32" } }],
      ports: [
        { port: 443, protocol: "TCP" },
        { port: 8443, protocol: "TCP" },
      ],
    },
    { to: [{ ipBlock: { cidr: "192.0.2.10/32" } }] },
  ]);
  // Every endpoint has addresses, so nothing is left to an FQDN policy.
  assert.equal(networkPolicy.metadata.annotations?.[EGRESS_HOSTS_ANNOTATION], undefined);
  assert.match(m.yaml, /# declared endpoint db\.example\.com \(10\.1\.0\.0\/16, 10\.2\.0\.0\/16\)/);
  await assertPasses(m);
});

test("ingress: only the declared agents, by namespace and labels or by CIDR, on the declared ports", async () => {
  const m = generate(
    permissions({
      ingress: {
        ports: [9090, 8080],
        agents: [
          {
            name: "code-review-agent",
            namespace: "agents",
            labels: { "mcp-warden.dev/agent": "code-review", app: "reviewer" },
          },
          { name: "triage-agent", labels: { app: "triage" } },
          { name: "all-of-research", namespace: "research" },
          { name: "ci-runner", cidrs: ["203.0.113.0/24", "2001:db8:1::/48"] },
          { name: "nobody-knows" },
        ],
      },
    }),
    { namespace: "mcp-servers" },
  );
  const { container, networkPolicy } = assertBaseline(m);
  assert.deepEqual(
    container.ports?.map((p) => p.containerPort),
    [8080, 9090],
  );
  const ports = [
    { port: 8080, protocol: "TCP" },
    { port: 9090, protocol: "TCP" },
  ];
  assert.deepEqual(networkPolicy.spec.ingress, [
    {
      from: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "agents" } },
          podSelector: { matchLabels: { app: "reviewer", "mcp-warden.dev/agent": "code-review" } },
        },
      ],
      ports,
    },
    // No namespace: the server's own namespace, which is the NetworkPolicy's.
    { from: [{ podSelector: { matchLabels: { app: "triage" } } }], ports },
    {
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "research" } } }],
      ports,
    },
    {
      from: [{ ipBlock: { cidr: "203.0.113.0/24" } }, { ipBlock: { cidr: "2001:db8:1::/48" } }],
      ports,
    },
  ]);
  // An agent nothing can select is let in by no rule (an empty `from` would admit everyone).
  assert.equal(
    networkPolicy.metadata.annotations?.[UNSELECTABLE_AGENTS_ANNOTATION],
    '["nobody-knows"]',
  );
  for (const o of m.objects)
    assert.equal((o.metadata as { namespace?: string }).namespace, "mcp-servers");
  assert.match(m.yaml, /# agent code-review-agent in namespace agents\n/);
  await assertPasses(m);
});

test("agents but no ports (stdio only): nothing may connect", async () => {
  const m = generate(permissions({ ingress: { agents: [{ name: "a", namespace: "agents" }] } }));
  const { networkPolicy } = assertBaseline(m);
  assert.deepEqual(networkPolicy.spec.ingress, []);
  await assertPasses(m);
});

test("credentials: static from the (not generated) Secret, workload identity as a projected token", async () => {
  const m = generate(
    permissions({
      credentials: [
        { name: "GITHUB_TOKEN", kind: "static", scopes: ["repo"] },
        { name: "GCP_IDENTITY", kind: "workload-identity" },
        { name: "user-oauth", kind: "oauth" },
      ],
    }),
  );
  const { deployment, container } = assertBaseline(m);
  assert.deepEqual(container.env, [
    { name: "GITHUB_TOKEN", valueFrom: { secretKeyRef: { name: "weather", key: "GITHUB_TOKEN" } } },
    { name: "GCP_IDENTITY_FILE", value: "/var/run/secrets/tokens/token-gcp-identity/token" },
  ]);
  assert.ok(!m.objects.some((o) => o.kind === "Secret"), "the Secret is never generated");
  assert.ok(container.env?.every((e) => e.value === undefined || e.value.startsWith("/")));
  assert.deepEqual(
    deployment.spec.template.spec.volumes.find((v) => v.name === "token-gcp-identity"),
    {
      name: "token-gcp-identity",
      projected: {
        sources: [
          { serviceAccountToken: { audience: SERVER, expirationSeconds: 3600, path: "token" } },
        ],
      },
    },
  );
  assert.deepEqual(
    container.volumeMounts.find((vm) => vm.name === "token-gcp-identity"),
    {
      name: "token-gcp-identity",
      mountPath: "/var/run/secrets/tokens/token-gcp-identity",
      readOnly: true,
    },
  );
  assert.match(m.yaml, /create the Secret weather with the keys GITHUB_TOKEN/);
  // The default policy only warns about Secrets in the environment; the pod is admitted.
  await assertPasses(m, ["credentials/no-secret-env"]);
});

test("read-write paths get emptyDir volumes, read paths nothing, never a hostPath", async () => {
  const m = generate(
    permissions({
      filesystem: [
        { path: "/workspace/", access: "read-write" },
        { path: "/etc/app", access: "read" },
        { path: "/tmp", access: "read-write" },
        { path: "/var/cache/app", access: "read-write" },
      ],
    }),
  );
  const { deployment, container } = assertBaseline(m);
  assert.deepEqual(deployment.spec.template.spec.volumes, [
    { name: "tmp", emptyDir: {} },
    { name: "fs-workspace", emptyDir: {} },
    { name: "fs-var-cache-app", emptyDir: {} },
  ]);
  assert.deepEqual(container.volumeMounts, [
    { name: "tmp", mountPath: "/tmp" },
    { name: "fs-workspace", mountPath: "/workspace" },
    { name: "fs-var-cache-app", mountPath: "/var/cache/app" },
  ]);
  await assertPasses(m);
});

test("declared resources become the limits and the requests", async () => {
  const m = generate(permissions({ resources: { cpu: "2", memory: "1Gi" } }));
  const { container } = assertBaseline(m);
  assert.deepEqual(container.resources, {
    limits: { cpu: "2", memory: "1Gi" },
    requests: { cpu: "2", memory: "1Gi" },
  });
  assert.doesNotMatch(m.yaml, /default to cpu/);
  assert.match(m.yaml, /cpu: "2"/, "quantities stay strings");
  const partial = views(generate(permissions({ resources: { memory: "512Mi" } })));
  assert.deepEqual(partial.container.resources.limits, { cpu: "500m", memory: "512Mi" });
  await assertPasses(m);
});

test("negative controls: without the NetworkPolicy, or without limits, check denies", async () => {
  const m = generate(
    permissions({
      egress: [{ cidrs: ["10.0.0.0/8"], ports: [443] }],
      ingress: { ports: [8080], agents: [{ name: "a", namespace: "agents" }] },
    }),
  );
  const toYaml = (objects: unknown[]) => objects.map((o) => stringify(o)).join("---\n");

  const withoutPolicy = await check(toYaml(m.objects.filter((o) => o.kind !== "NetworkPolicy")));
  assert.equal(withoutPolicy.code, 1);
  assert.equal(withoutPolicy.report.results[0]?.allowed, false);
  assert.deepEqual(
    withoutPolicy.report.results[0]?.findings.map((f) => `${f.action} ${f.rule}`),
    ["enforce network/egress-restricted", "enforce network/ingress-restricted"],
  );

  const unlimited = structuredClone(m.objects);
  const deployment = unlimited[1] as unknown as DeploymentView;
  const container = deployment.spec.template.spec.containers[0];
  assert.ok(container);
  container.resources = { limits: {}, requests: {} };
  const withoutLimits = await check(toYaml(unlimited));
  assert.equal(withoutLimits.code, 1);
  assert.deepEqual(
    withoutLimits.report.results[0]?.findings.map((f) => [f.rule, f.path]),
    [
      ["sandbox/resource-limits", "spec.template.spec.containers[0].resources.limits.cpu"],
      ["sandbox/resource-limits", "spec.template.spec.containers[0].resources.limits.memory"],
    ],
  );
});

test("a declared egress to every address is emitted as declared, and the default policy denies it", async () => {
  const m = generate(permissions({ egress: [{ cidrs: ["0.0.0.0/0"], ports: [443] }] }));
  const { code, report } = await check(m.yaml);
  assert.equal(code, 1);
  assert.deepEqual(
    report.results[0]?.findings.map((f) => `${f.action} ${f.rule}`),
    ["enforce network/egress-restricted"],
  );
});

test("an image by tag, or not an image, is INPUT_INVALID", () => {
  for (const image of [
    "ghcr.io/acme/mcp-weather:1.4.2",
    "ghcr.io/acme/mcp-weather",
    "Not An Image",
  ]) {
    const e = assertThrowsWithCode(
      () => generate(undefined, { image }),
      "INPUT_INVALID",
      WardenError,
      image,
    );
    assert.deepEqual(
      e.problems.map((p) => p.path),
      ["image"],
      image,
    );
  }
  // A tag next to the digest is kept: the digest decides what runs.
  const tagged = `ghcr.io/acme/mcp-weather:1.4.2@sha256:${"ab".repeat(32)}`;
  assert.equal(views(generate(undefined, { image: tagged })).container.image, tagged);
});

test("every bad field is reported at once", () => {
  const e = assertThrowsWithCode(
    () =>
      generate(
        permissions({
          filesystem: [{ path: "/", access: "read-write" }],
          credentials: [
            { name: "API-KEY", kind: "static" },
            { name: "API_KEY", kind: "static" },
          ],
        }),
        { image: "acme/weather:latest", serverName: " ", namespace: "Team_A" },
      ),
    "INPUT_INVALID",
    WardenError,
  );
  assert.deepEqual(
    e.problems.map((p) => p.path),
    [
      "image",
      "serverName",
      "namespace",
      "permissions.filesystem[0].path",
      "permissions.credentials[1].name",
    ],
  );
});

test("names: DNS-1123 from the last segment of the server name, deterministic and at most 63", () => {
  assert.equal(deploymentName("io.github.acme/weather"), "weather");
  assert.equal(deploymentName("io.github.Acme/My_Weather.Server"), "my-weather-server");
  assert.equal(deploymentName("weather"), "weather");
  assert.equal(deploymentName("io.github.acme/__"), "mcp-server");
  const long = `io.github.acme/${"very-long-server-name-".repeat(5)}`;
  const name = deploymentName(long);
  assert.ok(name.length <= 63, name);
  assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.equal(deploymentName(long), name);
  assert.notEqual(deploymentName(`${long}x`), name, "truncated names keep a hash of the whole");
  assert.equal(labelValue("1.2.3+build.5"), "1.2.3-build.5");
  assert.equal(labelValue("v".repeat(70)).length, 63);
  assert.equal(labelValue("+++"), "");
  const m = views(generate(undefined, { version: "1.0.0+sha.abc" }));
  assert.equal(m.deployment.metadata.labels["app.kubernetes.io/version"], "1.0.0-sha.abc");
});

test("deterministic: the same input gives the same bytes, whatever the order of declared labels", () => {
  const agent = (labels: Record<string, string>) =>
    permissions({ ingress: { ports: [8080], agents: [{ name: "a", labels }] } });
  const a = generate(agent({ z: "1", a: "2" }));
  const b = generate(agent({ a: "2", z: "1" }));
  assert.equal(a.yaml, b.yaml);
  assert.equal(generate(agent({ z: "1", a: "2" })).yaml, a.yaml);
});

test("line breaks in the version, names and hosts stay inside comments and strings: still three documents", async () => {
  const injected = "\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: injected\n";
  const version = `1.0${injected}\r---\r\u2028---\u2028kind: Pod\u0085---\u0085x`;
  const agent = `reviewer${injected}\u2029---\u2029kind: Pod`;
  const m = generate(
    permissions({
      egress: [{ host: `api.example.com${injected}` }, { host: "db", cidrs: ["10.0.0.0/8"] }],
      ingress: {
        ports: [8080],
        agents: [
          { name: agent, namespace: `agents` },
          { name: `ci${injected}`, cidrs: ["203.0.113.0/24"] },
          { name: `nobody${injected}` },
        ],
      },
    }),
    { version },
  );
  const docs = parseAllDocuments(m.yaml);
  assert.ok(Array.isArray(docs));
  assert.equal(docs.length, 3);
  for (const d of docs) assert.deepEqual(d.errors, []);
  assert.deepEqual(
    docs.map((d) => d.toJS() as unknown),
    m.objects,
  );
  assert.deepEqual(
    m.yaml.split("\n").filter((l) => /^(kind:|---)/.test(l)),
    ["kind: ServiceAccount", "---", "kind: Deployment", "---", "kind: NetworkPolicy"],
  );
  // No character a YAML 1.1 parser such as Kubernetes' breaks lines on, outside an escape.
  assert.ok(!/[\r\u0085\u2028\u2029]/.test(m.yaml));
  assert.ok(
    m.yaml.includes(
      "# Kubernetes manifests for the MCP server io.github.acme/weather 1.0\\n---\\napiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: injected\\n\\r---\\r\\u2028---\\u2028kind: Pod\\u0085---\\u0085x, generated",
    ),
  );
  assert.match(
    m.yaml,
    /^ *# agent reviewer\\n---\\napiVersion: v1.*\\u2029---\\u2029kind: Pod in namespace agents$/m,
  );
  assert.match(
    m.yaml,
    /^ *# agent ci\\n---\\napiVersion: v1\\nkind: Pod\\nmetadata:\\n {2}name: injected\\n$/m,
  );
  assert.match(m.yaml, /through this NetworkPolicy: api\.example\.com\\n---\\napiVersion: v1\\n/);
  assert.match(m.yaml, /cannot be selected and are not let in: nobody\\n---\\n/);
  // Double-quoted with YAML's own escapes for the characters YAML 1.1 and 1.2 disagree on.
  assert.ok(m.yaml.includes('\\r---\\r\\L---\\Lkind: Pod\\N---\\Nx"\n'));
  await assertPasses(m);
});
