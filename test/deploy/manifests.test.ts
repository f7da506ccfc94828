import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { WORKLOAD_KINDS } from "../../policies/workload/workload.ts";
import { runCli } from "../support/cli.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

// What `kubectl apply -k deploy/` applies: the kustomization's own resources, not the opt-in
// components beside them.
const applied = () =>
  (
    parseAllDocuments(read("deploy/kustomization.yaml"))[0]!.toJS() as { resources: string[] }
  ).resources.map((r) => `deploy/${r}`);

test("the webhook's own Deployment passes mcp-warden's default policy, its RBAC included", async () => {
  const files = applied();
  assert.ok(files.includes("deploy/rbac.yaml"));
  const r = await runCli([
    "check",
    ...files,
    "--policy",
    "policies/default.yaml",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 0, r.stdout);
  const { results } = JSON.parse(r.stdout) as {
    results: { name: string; allowed: boolean; findings: unknown[] }[];
  };
  assert.deepEqual(
    results.map((x) => [x.name, x.allowed, x.findings.length]),
    [["mcp-warden", true, 0]],
  );
  assert.match(read("deploy/deployment.yaml"), /- --no-pull-secrets\n/);
});

test("reading pull secrets is an opt-in component, and its Secret access is reported", async () => {
  const component = read("deploy/components/pull-secrets/kustomization.yaml");
  assert.match(component, /kind: Component/);
  assert.match(component, /value: --no-pull-secrets/);
  const r = await runCli([
    "check",
    ...applied(),
    "deploy/components/pull-secrets/rbac.yaml",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 1, r.stdout);
  const { results } = JSON.parse(r.stdout) as {
    results: { findings: { rule: string; related: { kind: string; name: string }[] }[] }[];
  };
  assert.deepEqual(
    results[0]!.findings.map((f) => [f.rule, f.related[0]!.kind, f.related[0]!.name]),
    [["rbac/no-secret-read", "ClusterRoleBinding", "mcp-warden-pull-secrets"]],
  );
});

test("the opt-in report writer passes the default policy and may not read Secrets", async () => {
  const component = read("deploy/components/policy-reports/kustomization.yaml");
  assert.match(component, /kind: Component/);
  const r = await runCli([
    "check",
    ...applied(),
    "deploy/components/policy-reports/rbac.yaml",
    "deploy/components/policy-reports/cronjob.yaml",
    "--policy",
    "policies/default.yaml",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 0, r.stdout);
  const { results } = JSON.parse(r.stdout) as {
    results: { kind: string; name: string; allowed: boolean; findings: unknown[] }[];
  };
  assert.deepEqual(
    results.map((x) => [x.kind, x.name, x.allowed, x.findings.length]),
    [
      ["Deployment", "mcp-warden", true, 0],
      ["CronJob", "mcp-warden-reports", true, 0],
    ],
  );
});

test("the policy installed in the cluster is the default policy", () => {
  assert.equal(read("deploy/policy.yaml"), read("policies/default.yaml"));
});

test("the ValidatingWebhookConfiguration fails closed, is opt-in and covers every workload kind", () => {
  const [doc] = parseAllDocuments(read("deploy/webhook.yaml"));
  const vwc = doc!.toJS() as {
    webhooks: {
      failurePolicy: string;
      sideEffects: string;
      timeoutSeconds: number;
      admissionReviewVersions: string[];
      namespaceSelector: {
        matchExpressions: { key: string; operator: string; values: string[] }[];
      };
      rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
    }[];
  };
  const [hook] = vwc.webhooks;
  assert.ok(hook);
  assert.equal(hook.failurePolicy, "Fail");
  assert.equal(hook.sideEffects, "None");
  assert.equal(hook.timeoutSeconds, 10);
  assert.deepEqual(hook.admissionReviewVersions, ["v1"]);
  assert.deepEqual(hook.namespaceSelector.matchExpressions, [
    { key: "mcp-warden.dev/enforce", operator: "In", values: ["true"] },
    {
      key: "kubernetes.io/metadata.name",
      operator: "NotIn",
      values: ["kube-system", "mcp-warden-system"],
    },
  ]);
  const resources = hook.rules.flatMap((r) => r.resources);
  const plural = (kind: string) => `${kind.toLowerCase()}s`;
  for (const kind of WORKLOAD_KINDS) assert.ok(resources.includes(plural(kind)), kind);
  assert.ok(resources.includes("pods/ephemeralcontainers"));
  for (const r of hook.rules) assert.deepEqual(r.operations, ["CREATE", "UPDATE"]);
});
