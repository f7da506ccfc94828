import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../support/cli.ts";

// Manifests others published to deploy MCP servers (test/fixtures/upstream/realworld, see its SOURCES.md).
const REALWORLD = new URL("../fixtures/upstream/realworld/", import.meta.url).pathname;

interface Related {
  kind: string;
  name: string;
  source?: string;
  line?: number;
  path: string;
}

interface Result {
  name: string;
  allowed: boolean;
  findings: { rule: string; path: string; message: string; related?: Related[] }[];
}

async function judge(): Promise<Map<string, Result>> {
  const r = await runCli(["check", REALWORLD, "--format", "json"]);
  assert.equal(r.code, 1, r.stderr);
  const { results } = JSON.parse(r.stdout) as { results: Result[] };
  return new Map(results.map((x) => [x.name, x]));
}

test("every published manifest parses (comment-only documents, no trailing newline) and is judged", async () => {
  const results = await judge();
  assert.equal(results.size, 10);
  for (const [name, x] of results) {
    assert.equal(x.allowed, false, name);
    for (const f of x.findings) {
      assert.ok(f.path.startsWith("spec.template."), `${name}: ${f.path}`);
      assert.ok(f.message.length > 20, `${name}: ${f.message}`);
    }
  }
});

test("what SOURCES.md notes about each manifest is what the rules find", async () => {
  const results = await judge();
  const rules = (name: string) => new Set(results.get(name)!.findings.map((f) => f.rule));
  const paths = (name: string, rule: string) =>
    results
      .get(name)!
      .findings.filter((f) => f.rule === rule)
      .map((f) => f.path);

  // lowercase `drop: [all]` is not ALL
  assert.deepEqual(paths("tekton-mcp-server", "pod-security/capabilities"), [
    "spec.template.spec.containers[0].securityContext.capabilities.drop",
  ]);
  // an unresolved ko:// reference is not pinned
  assert.match(
    results.get("tekton-mcp-server")!.findings.find((f) => f.rule === "image/digest-pinned")!
      .message,
    /ko:\/\/ placeholder/,
  );
  // a literal *path* in a variable named like a key is not a secret
  assert.ok(!rules("openshift-partner-labs-mcp-server").has("credentials/no-literal-secrets"));
  // explicit runAsNonRoot: false
  assert.ok(rules("kubectl-mcp-server").has("pod-security/run-as-non-root"));
  // hardened, but no resources block at all
  assert.deepEqual(paths("mcp-k8s-server", "sandbox/resource-limits"), [
    "spec.template.spec.containers[0].resources.limits.cpu",
    "spec.template.spec.containers[0].resources.limits.memory",
  ]);
  // memory limit but no cpu limit
  assert.deepEqual(paths("arr-mcp", "sandbox/resource-limits"), [
    "spec.template.spec.containers[0].resources.limits.cpu",
  ]);
  // envFrom secretRef is warned about, not denied
  assert.deepEqual(paths("arr-mcp", "credentials/no-secret-env"), [
    "spec.template.spec.containers[0].envFrom[0].secretRef",
  ]);
  // untagged docker.io/mcp/everything and a ttl.sh init image
  assert.equal(paths("test-stdio-server", "image/digest-pinned").length, 2);
  // no seccompProfile anywhere
  assert.ok(rules("mcp-markdown").has("pod-security/seccomp-profile"));
});

// SOURCES.md notes these RBAC problems; the binding that grants each is named and located.
test("the ClusterRoles that read every Secret and exec into pods are reported with their bindings", async () => {
  const results = await judge();
  // One line per finding: the rule, then where the binding and the granting rule are.
  const rbac = (name: string) =>
    results
      .get(name)!
      .findings.filter((f) => f.rule.startsWith("rbac/"))
      .map((f) => {
        assert.equal(f.path, "spec.template.spec.serviceAccountName", f.rule);
        const related = (f.related ?? []).map((r) => `${r.kind} ${r.name} ${r.path} @${r.line}`);
        return `${f.rule}: ${related.join(", ")}`;
      });
  assert.deepEqual(rbac("kubectl-mcp-server"), [
    "rbac/no-secret-read: ClusterRoleBinding kubectl-mcp-server-reader subjects[0] @183, ClusterRole kubectl-mcp-server-reader rules[0] @89",
  ]);
  const binding = "ClusterRoleBinding mcp-k8s-server subjects[0] @120";
  const role = "ClusterRole mcp-k8s-server";
  assert.deepEqual(rbac("mcp-k8s-server"), [
    `rbac/no-secret-read: ${binding}, ${role} rules[0] @87`,
    `rbac/no-pod-exec: ${binding}, ${role} rules[5] @103`,
    `rbac/no-workload-create: ${binding}, ${role} rules[5] @103`,
    `rbac/no-workload-create: ${binding}, ${role} rules[6] @106`,
    `rbac/no-workload-create: ${binding}, ${role} rules[7] @109`,
  ]);
  const exec = results.get("mcp-k8s-server")!.findings.find((f) => f.rule === "rbac/no-pod-exec")!;
  assert.match(
    exec.message,
    /ClusterRoleBinding mcp-k8s-server .*ClusterRole mcp-k8s-server rules\[5\]/,
  );
  // no other published manifest grants its ServiceAccount anything
  for (const [name, x] of results) {
    if (name === "kubectl-mcp-server" || name === "mcp-k8s-server") continue;
    assert.deepEqual(
      x.findings.filter((f) => f.rule.startsWith("rbac/")),
      [],
      name,
    );
  }
});
