// `mcp-warden check --cluster` against a real kube-apiserver: what runs now, judged with the
// cluster's own policy, NetworkPolicies, RBAC and exceptions, and written back as PolicyReports.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { apiRequest } from "../../cluster/api.ts";
import { runCli } from "../support/cli.ts";
import { compliantPodSpec } from "../support/policies.ts";
import { k8sMatrix, startCluster, type TestCluster } from "./support/cluster.ts";
import { deployment, readYaml, withoutLimits } from "./support/manifests.ts";

/** The report CRDs fetched by scripts/fetch-report-crds.sh: `$MCP_WARDEN_REPORT_CRDS` or its cache. */
function reportCrdDir(): string | undefined {
  const cache = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");
  const dir =
    process.env.MCP_WARDEN_REPORT_CRDS ??
    join(cache, "report-crds-wg-v0.0.0-20210823142600-b09c9bb01d4c-openreports-v0.2.1");
  const files = ["wgpolicyk8s.io_policyreports.yaml", "openreports.io_reports.yaml"];
  return files.every((f) => existsSync(join(dir, f))) ? dir : undefined;
}
const crdDir = reportCrdDir();
const SKIP_NO_CRDS = "report CRDs not fetched; run scripts/fetch-report-crds.sh";

interface JsonResult {
  kind: string;
  namespace: string;
  name: string;
  source: string;
  line?: number;
  allowed: boolean;
  findings: {
    rule: string;
    action: string;
    path: string;
    exemptedBy?: string;
    related?: unknown[];
  }[];
  skipped: string[];
}
interface JsonReport {
  policy: { name: string; source: string };
  results: JsonResult[];
}

interface ReportObject {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  summary: Record<string, number>;
  results: {
    policy: string;
    rule: string;
    result: string;
    severity?: string;
    source: string;
    message: string;
    resources: { kind: string; name: string; namespace: string; uid?: string }[];
    timestamp: { seconds: number };
  }[];
}

function isolation(namespace: string) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "isolate", namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
}

/** Waits until the API server serves a freshly created CRD's resources. */
async function served(cluster: TestCluster, path: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await apiRequest(cluster.kubeConfig(), path);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// Against every release of the matrix: listing, discovery and the API's shapes are what
// `check --cluster` depends on.
for (const k8s of k8sMatrix()) {
  describe(
    `check --cluster on a real kube-apiserver ${k8s.version}`,
    { skip: k8s.skip, timeout: 300_000 },
    () => {
      let cluster: TestCluster;
      let objects: KubernetesObjectApi;
      const check = (...args: string[]) =>
        runCli(["check", "--cluster", "--kubeconfig", cluster.kubeconfigPath, ...args]);

      before(async () => {
        cluster = await startCluster({ binDir: k8s.binDir });
        objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
        for (const crd of [
          ...readYaml("deploy/crds/mcpwardenpolicies.yaml"),
          ...readYaml("deploy/crds/mcpwardenexceptions.yaml"),
        ]) {
          await objects.create(crd);
        }
        await served(cluster, "/apis/mcp-warden.dev/v1alpha1/mcpwardenpolicies");
        await served(cluster, "/apis/mcp-warden.dev/v1alpha1/mcpwardenexceptions");
        for (const name of ["team-a", "team-b", "mcp-warden-system"]) {
          await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
        }
        // The cluster's policy: the shipped one, registry rules off (no registry here), and
        // secrets in env only audited, so that its source shows in the verdicts.
        const [policy] = readYaml("deploy/policy.yaml") as (KubernetesObject & {
          spec: { rules: Record<string, string> };
        })[];
        policy!.spec.rules["image/*"] = "off";
        policy!.spec.rules["rbac/within-declared"] = "off";
        policy!.spec.rules["network/within-declared"] = "off";
        await objects.create(policy!);
        await objects.create(isolation("team-a"));

        const good: KubernetesObject = await objects.create(
          deployment("team-a", "good", compliantPodSpec()),
        );
        await objects.create(deployment("team-a", "no-limits", withoutLimits()));
        // What a Deployment's controller would create: judged through the Deployment, not twice.
        const owner = {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "good",
          uid: good.metadata!.uid!,
          controller: true,
        };
        await objects.create({
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: { name: "good-5d8f", namespace: "team-a", ownerReferences: [owner] },
          spec: {
            selector: { matchLabels: { app: "good" } },
            template: { metadata: { labels: { app: "good" } }, spec: compliantPodSpec() },
          },
        } as KubernetesObject);
        // A bare pod, judged itself; and one asking for an exception the admins granted.
        await objects.create({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "bare", namespace: "team-b", labels: { app: "bare" } },
          spec: withoutLimits(),
        } as KubernetesObject);
        await objects.create({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenException",
          metadata: { name: "limits-later", namespace: "mcp-warden-system" },
          spec: {
            rules: ["sandbox/resource-limits", "network/*"],
            namespaces: ["team-b"],
            reason: "tracked in SEC-1",
          },
        } as KubernetesObject);
        await objects.create({
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name: "nightly", namespace: "team-b" },
          spec: {
            schedule: "0 3 * * *",
            jobTemplate: {
              spec: {
                template: {
                  metadata: {
                    labels: { app: "nightly" },
                    annotations: { "mcp-warden.dev/exception": "limits-later" },
                  },
                  spec: { ...withoutLimits(), restartPolicy: "Never" },
                },
              },
            },
          },
        } as KubernetesObject);
        // kube-system is never judged.
        await objects.create({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "system", namespace: "kube-system" },
          spec: withoutLimits(),
        } as KubernetesObject);
      });

      after(async () => {
        await cluster?.stop();
      });

      test("judges every workload once, with the cluster's policy, NetworkPolicies and exceptions", async () => {
        const { code, stdout, stderr } = await check("--format", "json");
        assert.equal(code, 1, stderr);
        const report = JSON.parse(stdout) as JsonReport;
        assert.deepEqual(report.policy, {
          name: "default",
          source: "cluster MCPWardenPolicy/default",
        });
        const byName = new Map(
          report.results.map((r) => [`${r.namespace}/${r.kind}/${r.name}`, r]),
        );
        assert.deepEqual(
          [...byName.keys()].sort(),
          [
            "team-a/Deployment/good",
            "team-a/Deployment/no-limits",
            "team-b/CronJob/nightly",
            "team-b/Pod/bare",
          ],
          "the ReplicaSet a Deployment owns and kube-system are not judged",
        );
        const good = byName.get("team-a/Deployment/good")!;
        assert.equal(good.allowed, true, JSON.stringify(good.findings));
        assert.equal(good.source, "team-a/Deployment/good");
        assert.equal(good.line, undefined);
        const noLimits = byName.get("team-a/Deployment/no-limits")!;
        assert.equal(noLimits.allowed, false);
        assert.ok(noLimits.findings.some((f) => f.rule === "sandbox/resource-limits"));
        // team-b has no NetworkPolicy: the bare pod is open, the CronJob's exception covers it.
        const bare = byName.get("team-b/Pod/bare")!;
        assert.deepEqual([...new Set(bare.findings.map((f) => f.rule))].sort(), [
          "network/egress-restricted",
          "network/ingress-restricted",
          "sandbox/resource-limits",
        ]);
        const nightly = byName.get("team-b/CronJob/nightly")!;
        assert.equal(nightly.allowed, true, JSON.stringify(nightly.findings));
        assert.ok(nightly.findings.length > 0);
        assert.ok(nightly.findings.every((f) => f.exemptedBy === "mcp-warden-system/limits-later"));
      });

      test("--namespace narrows the judged namespaces; --policy overrides the cluster's", async () => {
        const policyFile = new URL("../../policies/default.yaml", import.meta.url).pathname;
        const { code, stdout, stderr } = await check(
          "--namespace",
          "team-a",
          "--policy",
          policyFile,
          "--format",
          "json",
        );
        assert.equal(code, 1, stderr);
        const report = JSON.parse(stdout) as JsonReport;
        assert.equal(report.policy.source, policyFile);
        assert.deepEqual(report.results.map((r) => r.name).sort(), ["good", "no-limits"]);
        // The default policy leaves the registry rules on: offline they are skipped, and said so.
        assert.ok(report.results.every((r) => r.skipped.includes("image/signed")));
        assert.match(stderr, /image\/signed.*were skipped/);
      });

      test("text and SARIF name each object namespace/kind/name instead of a file", async () => {
        const text = await check("--namespace", "team-a");
        assert.equal(text.code, 1, text.stderr);
        assert.match(
          text.stdout,
          /^FAIL Deployment team-a\/no-limits {2}\(team-a\/Deployment\/no-limits\)$/m,
        );
        assert.match(
          text.stdout,
          /^PASS Deployment team-a\/good {2}\(team-a\/Deployment\/good\)$/m,
        );
        const sarif = await check("--namespace", "team-a", "--format", "sarif");
        const log = JSON.parse(sarif.stdout) as {
          runs: {
            results: {
              ruleId: string;
              locations: {
                physicalLocation?: {
                  artifactLocation: { uri: string; uriBaseId?: string };
                  region?: unknown;
                };
              }[];
            }[];
          }[];
        };
        const limits = log.runs[0]!.results.find((r) => r.ruleId === "sandbox/resource-limits")!;
        assert.deepEqual(limits.locations[0]!.physicalLocation, {
          artifactLocation: { uri: "team-a/Deployment/no-limits" },
        });
      });

      test("--format policyreport prints one PolicyReport per namespace", async () => {
        const { code, stdout, stderr } = await check("--format", "policyreport");
        assert.equal(code, 1, stderr);
        const reports = parseAllDocuments(stdout).map(
          (d) => d.toJS() as ReportObject & { apiVersion: string; kind: string },
        );
        assert.deepEqual(
          reports.map((r) => [r.apiVersion, r.kind, r.metadata.namespace]),
          [
            ["wgpolicyk8s.io/v1alpha2", "PolicyReport", "team-a"],
            ["wgpolicyk8s.io/v1alpha2", "PolicyReport", "team-b"],
          ],
        );
        const teamA = reports[0]!;
        const fail = teamA.results.find((r) => r.result === "fail")!;
        assert.equal(fail.rule, "sandbox/resource-limits");
        assert.equal(fail.policy, "default");
        assert.equal(fail.source, "mcp-warden");
        assert.deepEqual(
          fail.resources.map((r) => `${r.kind}/${r.name}`),
          ["Deployment/no-limits"],
        );
        assert.ok(fail.resources[0]!.uid, "the resource is named by its uid too");
        const count = (s: string) => teamA.results.filter((r) => r.result === s).length;
        assert.deepEqual(teamA.summary, {
          pass: count("pass"),
          fail: count("fail"),
          warn: count("warn"),
          error: 0,
          skip: count("skip"),
        });
        assert.ok(teamA.summary.pass > 0);
        // The exempted findings of team-b are skips, not failures.
        const teamB = reports[1]!;
        assert.ok(
          teamB.results.some(
            (r) =>
              r.result === "skip" &&
              r.resources[0]!.name === "nightly" &&
              r.rule === "sandbox/resource-limits",
          ),
        );
      });

      test(
        "--apply-reports writes PolicyReport and Report per namespace; a second run updates them",
        { skip: crdDir ? false : SKIP_NO_CRDS },
        async () => {
          for (const file of ["wgpolicyk8s.io_policyreports.yaml", "openreports.io_reports.yaml"]) {
            const text = readFileSync(join(crdDir!, file), "utf8");
            for (const doc of parseAllDocuments(text)) {
              const crd = doc.toJS() as KubernetesObject | null;
              if (crd) await objects.create(crd);
            }
          }
          await served(cluster, "/apis/wgpolicyk8s.io/v1alpha2/policyreports");
          await served(cluster, "/apis/openreports.io/v1alpha1/reports");

          const first = await check("--apply-reports", "--format", "json");
          assert.equal(first.code, 1, `${first.stderr}\n${first.stdout}`);
          assert.match(first.stderr, /wrote 4 report\(s\)/);
          const kc = cluster.kubeConfig();
          const read = async (path: string) =>
            (await apiRequest(kc, path)) as { items: ReportObject[] };
          const polr = await read("/apis/wgpolicyk8s.io/v1alpha2/policyreports");
          const reps = await read("/apis/openreports.io/v1alpha1/reports");
          for (const list of [polr, reps]) {
            assert.deepEqual(
              list.items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort(),
              ["team-a/mcp-warden", "team-b/mcp-warden"],
            );
            for (const r of list.items) {
              assert.equal(r.metadata.labels?.["app.kubernetes.io/managed-by"], "mcp-warden");
            }
            const teamA = list.items.find((r) => r.metadata.namespace === "team-a")!;
            const fails = teamA.results.filter((r) => r.result === "fail");
            assert.equal(teamA.summary.fail, fails.length);
            assert.ok(fails.length > 0 && fails.every((r) => r.resources[0]!.name === "no-limits"));
            assert.ok(
              teamA.results.some(
                (r) => r.result === "fail" && r.resources[0]!.name === "no-limits",
              ),
            );
          }

          // Fixed: the failing Deployment is gone, and team-b's workloads too.
          await objects.delete({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "no-limits", namespace: "team-a" },
          });
          await objects.delete({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "bare", namespace: "team-b" },
          });
          await objects.delete({
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: "nightly", namespace: "team-b" },
          });
          const second = await check("--apply-reports");
          assert.equal(second.code, 0, second.stderr + second.stdout);
          for (const path of [
            "/apis/wgpolicyk8s.io/v1alpha2/policyreports",
            "/apis/openreports.io/v1alpha1/reports",
          ]) {
            const list = await read(path);
            assert.equal(list.items.length, 2, "updated in place, not duplicated");
            const teamA = list.items.find((r) => r.metadata.namespace === "team-a")!;
            assert.equal(teamA.summary.fail, 0);
            assert.ok(teamA.results.every((r) => r.resources[0]!.name === "good"));
            const teamB = list.items.find((r) => r.metadata.namespace === "team-b")!;
            assert.deepEqual(
              teamB.results,
              [],
              "a namespace without workloads keeps no stale results",
            );
          }
        },
      );

      test(
        "the report writer's ServiceAccount (deploy/components/policy-reports) may do all of it",
        { skip: crdDir ? false : SKIP_NO_CRDS },
        async () => {
          for (const o of [
            ...readYaml("deploy/rbac.yaml"),
            ...readYaml("deploy/components/policy-reports/rbac.yaml"),
          ]) {
            await objects.create(o);
          }
          const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
          const { status } = await core.createNamespacedServiceAccountToken({
            name: "mcp-warden-reports",
            namespace: "mcp-warden-system",
            body: { spec: { audiences: [], expirationSeconds: 600 } },
          });
          const kubeconfig = join(mkdtempSync(join(tmpdir(), "reports-")), "kubeconfig");
          writeFileSync(
            kubeconfig,
            JSON.stringify({
              apiVersion: "v1",
              kind: "Config",
              clusters: [
                {
                  name: "test",
                  cluster: {
                    server: cluster.server,
                    "certificate-authority-data": Buffer.from(cluster.caData).toString("base64"),
                  },
                },
              ],
              users: [{ name: "reports", user: { token: status!.token } }],
              contexts: [{ name: "reports", context: { cluster: "test", user: "reports" } }],
              "current-context": "reports",
            }),
          );
          const r = await runCli([
            "check",
            "--cluster",
            "--kubeconfig",
            kubeconfig,
            "--apply-reports",
          ]);
          assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
          assert.match(r.stderr, /wrote 4 report\(s\)/);
        },
      );

      test("a credential in a ConfigMap a workload loads is read from the cluster and reported at the reference", async () => {
        await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-c" } });
        await objects.create(isolation("team-c"));
        // Built here, so no secret-looking literal sits in the repository.
        const password = Buffer.from("team-c configuration").toString("base64url");
        await objects.create({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "crm-settings", namespace: "team-c" },
          data: { LOG_LEVEL: "debug", DATABASE_URL: `postgres://crm:${password}@db:5432/crm` },
        } as KubernetesObject);
        const spec = compliantPodSpec() as { containers: Record<string, unknown>[] };
        spec.containers[0]!.envFrom = [{ configMapRef: { name: "crm-settings" } }];
        await objects.create(deployment("team-c", "crm", spec));
        await objects.create(deployment("team-c", "plain", compliantPodSpec()));
        const { code, stdout, stderr } = await check(
          "--namespace",
          "team-c",
          "--rules",
          "credentials/*",
          "--format",
          "json",
        );
        assert.equal(code, 1, stderr);
        assert.ok(!stdout.includes(password), "the password is not repeated");
        const report = JSON.parse(stdout) as JsonReport;
        const crm = report.results.find((r) => r.name === "crm");
        assert.deepEqual(
          crm?.findings.map((f) => [f.rule, f.path, f.related]),
          [
            [
              "credentials/no-literal-secrets",
              "spec.template.spec.containers[0].envFrom[0].configMapRef",
              [
                {
                  kind: "ConfigMap",
                  namespace: "team-c",
                  name: "crm-settings",
                  source: "team-c/ConfigMap/crm-settings",
                  path: "data.DATABASE_URL",
                },
              ],
            ],
          ],
        );
        assert.equal(report.results.find((r) => r.name === "plain")?.allowed, true);
      });

      test("a cluster that cannot be reached is an error, exit 2", async () => {
        const { code, stderr } = await runCli([
          "check",
          "--cluster",
          "--kubeconfig",
          "/nonexistent/kubeconfig",
        ]);
        assert.equal(code, 2);
        assert.match(stderr, /kubeconfig/);
      });
    },
  );
}
