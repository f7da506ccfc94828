// `check` reads CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies and ClusterNetworkPolicies
// among its inputs as cluster state, and an object their CRD would refuse as bad input.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { runCli } from "../support/cli.ts";
import { ciliumPolicy, DNS_EGRESS } from "../support/fqdn-policies.ts";
import { compliantPodSpec } from "../support/policies.ts";

interface JsonReport {
  results: { name: string; allowed: boolean; findings: { rule: string; message: string }[] }[];
}

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "fetch", namespace: "team-a" },
  spec: {
    selector: { matchLabels: { app: "fetch" } },
    template: { metadata: { labels: { app: "fetch" } }, spec: compliantPodSpec() },
  },
};
// Ingress isolation by a NetworkPolicy; egress left to the Cilium policy.
const ingressOnly = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "ingress", namespace: "team-a" },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
};

function write(docs: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), "check-fqdn-"));
  const file = join(dir, "all.yaml");
  writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
  return file;
}

test("a CiliumNetworkPolicy limiting egress to host names isolates the pod; one allowing every host does not", async () => {
  const hosts = {
    toFQDNs: [{ matchName: "api.github.com" }],
    toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
  };
  const table: [string, unknown[], string[]][] = [
    ["limited to hosts", [ciliumPolicy("fetch", { egress: [DNS_EGRESS, hosts] })], []],
    [
      "every host",
      [
        ciliumPolicy("fetch", {
          egress: [DNS_EGRESS, { ...hosts, toFQDNs: [{ matchPattern: "*" }] }],
        }),
      ],
      ["network/egress-restricted"],
    ],
    ["none", [], ["network/egress-restricted"]],
  ];
  for (const [what, policies, rules] of table) {
    const r = await runCli([
      "check",
      "--format",
      "json",
      write([deployment, ingressOnly, ...policies]),
    ]);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.deepEqual(
      report.results[0]!.findings.map((f) => f.rule),
      rules,
      `${what}: ${r.stdout}`,
    );
    assert.equal(r.code, rules.length === 0 ? 0 : 1, what);
  }
});

test("a CiliumNetworkPolicy its CRD would refuse is bad input naming the file and field", async () => {
  const bad = ciliumPolicy("fetch", {
    egress: [{ toFQDNs: [{ matchName: "api.github.com", matchPattern: "*.github.com" }] }],
  });
  const r = await runCli(["check", write([deployment, ingressOnly, bad])]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /all\.yaml document 3 .*invalid CiliumNetworkPolicy: spec\.egress\[0\]\.toFQDNs\[0\]/,
  );
  // the Deployment is still judged
  assert.match(r.stdout, /Deployment team-a\/fetch/);
});
