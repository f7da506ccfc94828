import assert from "node:assert/strict";
import { test } from "node:test";
import { judgeBinding } from "../../../policies/workload/binding-judge.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { parseRbacObject, type BindingObject } from "../../../policies/workload/rbac.ts";

const GROUP = "rbac.authorization.k8s.io";
const policy = (rules: Record<string, string> = { "*": "enforce" }) =>
  compilePolicy({
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenPolicy",
    metadata: { name: "p" },
    spec: { rules },
  });

const secretsReader = parseRbacObject({
  kind: "ClusterRole",
  metadata: { name: "secrets" },
  rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
});
const viewer = parseRbacObject({
  kind: "ClusterRole",
  metadata: { name: "viewer" },
  rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }],
});

function binding(
  kind: "RoleBinding" | "ClusterRoleBinding",
  role: string,
  subjects: unknown[],
  name = "b",
): BindingObject {
  const parsed = parseRbacObject({
    kind,
    metadata: { name, ...(kind === "RoleBinding" ? { namespace: "team-a" } : {}) },
    roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: role },
    subjects,
  });
  assert.ok(parsed.kind === kind);
  return parsed;
}

const judged = (ns: string) => ns === "team-a";
const sa = (namespace?: string) => ({
  kind: "ServiceAccount",
  name: "mcp",
  ...(namespace ? { namespace } : {}),
});

test("a binding that grants forbidden rights to a ServiceAccount of a judged namespace", () => {
  const table: [string, BindingObject, string[]][] = [
    [
      "ClusterRoleBinding to a secrets reader",
      binding("ClusterRoleBinding", "secrets", [sa("team-a")]),
      ["rbac/no-secret-read subjects[0]"],
    ],
    [
      "RoleBinding, subject namespace defaulted",
      binding("RoleBinding", "secrets", [sa()]),
      ["rbac/no-secret-read subjects[0]"],
    ],
    [
      "cluster-admin",
      binding("ClusterRoleBinding", "cluster-admin", [
        { kind: "User", apiGroup: GROUP, name: "u" },
        sa("team-a"),
      ]),
      ["rbac/no-broad-roles subjects[1]"],
    ],
    ["a harmless role", binding("ClusterRoleBinding", "viewer", [sa("team-a")]), []],
    ["a namespace not judged", binding("ClusterRoleBinding", "secrets", [sa("team-b")]), []],
    [
      "a group subject (judged when pods are admitted)",
      binding("ClusterRoleBinding", "secrets", [
        { kind: "Group", apiGroup: GROUP, name: "system:serviceaccounts:team-a" },
      ]),
      [],
    ],
  ];
  for (const [what, b, expected] of table) {
    const d = judgeBinding(b, {
      policy: policy(),
      rbac: [secretsReader, viewer],
      judgedNamespace: judged,
      now: new Date(0),
    });
    assert.deepEqual(
      d.findings.map((f) => `${f.rule} ${f.path}`),
      expected,
      what,
    );
    assert.equal(d.allowed, expected.length === 0, what);
  }
});

test("only what this binding grants counts, and its update replaces the old version", () => {
  const existing = binding("ClusterRoleBinding", "secrets", [sa("team-a")], "old");
  const other = binding("ClusterRoleBinding", "viewer", [sa("team-a")], "new");
  const d = judgeBinding(other, {
    policy: policy(),
    rbac: [secretsReader, viewer, existing],
    judgedNamespace: judged,
    now: new Date(0),
  });
  assert.deepEqual(d.findings, []);
  // updating "old" to a harmless role is allowed: its old rules no longer count
  const fixed = binding("ClusterRoleBinding", "viewer", [sa("team-a")], "old");
  assert.equal(
    judgeBinding(fixed, {
      policy: policy(),
      rbac: [secretsReader, viewer, existing],
      judgedNamespace: judged,
      now: new Date(0),
    }).allowed,
    true,
  );
});

test("the policy's actions apply; a stale RBAC state denies", () => {
  const b = binding("ClusterRoleBinding", "secrets", [sa("team-a")]);
  const warned = judgeBinding(b, {
    policy: policy({ "*": "enforce", "rbac/no-secret-read": "warn" }),
    rbac: [secretsReader],
    judgedNamespace: judged,
    now: new Date(0),
  });
  assert.equal(warned.allowed, true);
  assert.deepEqual(
    warned.findings.map((f) => f.action),
    ["warn"],
  );
  const stale = judgeBinding(binding("ClusterRoleBinding", "viewer", [sa("team-a")]), {
    policy: policy(),
    rbac: [viewer],
    judgedNamespace: judged,
    now: new Date(0),
    unavailable: "the rolebindings watch has not synced",
  });
  assert.equal(stale.allowed, false);
});
