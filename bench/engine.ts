// npm run bench:engine — evaluations per second of one realistic workload on one core.
// A Deployment with 3 containers (server, sidecar, init) judged against 10 NetworkPolicies in its
// namespace with the default policy. Printed side by side with the cost of merely decoding the
// same object from JSON (what any admission webhook pays), so the ratio survives a noisy machine.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { createClusterState } from "../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../policies/workload/engine.ts";
import { parseNetworkPolicy } from "../policies/workload/network-policy.ts";
import { compilePolicy } from "../policies/workload/policy.ts";
import { toWorkload } from "../policies/workload/workload.ts";
import { printBenchResult } from "./result.ts";

const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const container = (name: string, image: string) => ({
  name,
  image,
  env: [
    { name: "LOG_LEVEL", value: "info" },
    { name: "UPSTREAM_URL", value: "https://api.example.com/v1" },
    { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "mcp", key: "token" } } },
  ],
  ports: [{ containerPort: 8080 }],
  resources: {
    requests: { cpu: "100m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  },
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  },
  livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
});

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "mcp-crm", namespace: "mcp-servers", labels: { app: "mcp-crm" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "mcp-crm" } },
    template: {
      metadata: { labels: { app: "mcp-crm", tier: "mcp", team: "sales" } },
      spec: {
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 10001,
          seccompProfile: { type: "RuntimeDefault" },
        },
        initContainers: [container("migrate", `ghcr.io/acme/mcp-crm-migrate@${digest("b")}`)],
        containers: [
          container("server", `ghcr.io/acme/mcp-crm@${digest("a")}`),
          container("proxy", `ghcr.io/acme/egress-proxy:2.1@${digest("c")}`),
        ],
        volumes: [{ name: "tmp", emptyDir: {} }],
      },
    },
  },
};

const networkPolicies = Array.from({ length: 10 }, (_, i) =>
  parseNetworkPolicy({
    kind: "NetworkPolicy",
    metadata: { name: `np-${i}`, namespace: "mcp-servers" },
    spec: {
      podSelector:
        i % 3 === 0
          ? { matchLabels: { app: i === 0 ? "mcp-crm" : `other-${i}` } }
          : {
              matchExpressions: [
                { key: "tier", operator: "In", values: ["mcp", "web"] },
                { key: "legacy", operator: "DoesNotExist" },
              ],
            },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: [{ podSelector: { matchLabels: { "mcp-warden.dev/agent": `agent-${i}` } } }] },
      ],
      egress: [{ to: [{ ipBlock: { cidr: `10.${i}.0.0/16` } }], ports: [{ port: 443 }] }],
    },
  }),
);

const policy = compilePolicy(
  parse(readFileSync(new URL("../policies/default.yaml", import.meta.url), "utf8")),
);
const cluster = createClusterState({ networkPolicies });
const now = new Date("2026-06-01T00:00:00Z");
const json = JSON.stringify(deployment);

function rate(name: string, fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(DURATION_MS) * 1_000_000n;
  let t = start;
  while (t < deadline) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    t = process.hrtime.bigint();
  }
  const perSecond = n / (Number(t - start) / 1e9);
  console.log(
    `${name.padEnd(44)} ${Math.round(perSecond).toLocaleString("en-US").padStart(12)} /s`,
  );
  return perSecond;
}

const check = judgeWorkload(toWorkload(deployment), { policy, cluster, now });
console.log(
  `workload: Deployment, 3 containers, 10 NetworkPolicies; verdict allowed=${check.allowed}, ${check.findings.length} findings`,
);
const workload = toWorkload(deployment);
const decodeOnly = rate("JSON.parse of the object (baseline)", () => JSON.parse(json));
const engineOnly = rate("judgeWorkload(workload)", () =>
  judgeWorkload(workload, { policy, cluster, now }),
);
const fromObject = rate("toWorkload + judgeWorkload (the engine)", () =>
  judgeWorkload(toWorkload(deployment), { policy, cluster, now }),
);
const full = rate("JSON.parse + toWorkload + judgeWorkload", () =>
  judgeWorkload(toWorkload(JSON.parse(json)), { policy, cluster, now }),
);
const ratio = (x: number) => (x / decodeOnly).toFixed(2);
console.log(`ratios to JSON.parse (1.00 = as fast as decoding the object):`);
console.log(
  `  judgeWorkload ${ratio(engineOnly)}, engine ${ratio(fromObject)}, full path ${ratio(full)}`,
);
const verdict = fromObject >= 20_000 ? "met" : "NOT met";
const perSecond = Math.round(fromObject).toLocaleString("en-US");
console.log(`target >= 20,000 evaluations/s on one core (engine): ${verdict} (${perSecond}/s)`);
printBenchResult("engine", [
  {
    name: "toWorkload + judgeWorkload",
    value: fromObject,
    unit: "evaluations/s",
    baseline: { name: "JSON.parse of the object", value: decodeOnly },
  },
  {
    name: "JSON.parse + toWorkload + judgeWorkload",
    value: full,
    unit: "evaluations/s",
    baseline: { name: "JSON.parse of the object", value: decodeOnly },
  },
]);
