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

const judged = ["team-a"];
const group = (name: string) => ({ kind: "Group", apiGroup: GROUP, name });
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
      "the group of a judged namespace's ServiceAccounts",
      binding("ClusterRoleBinding", "secrets", [group("system:serviceaccounts:team-a")]),
      ["rbac/no-secret-read subjects[0]"],
    ],
    [
      "the group of a namespace not judged",
      binding("ClusterRoleBinding", "secrets", [group("system:serviceaccounts:team-b")]),
      [],
    ],
    [
      "every ServiceAccount, after a harmless subject",
      binding("ClusterRoleBinding", "secrets", [
        group("developers"),
        group("system:serviceaccounts"),
      ]),
      ["rbac/no-secret-read subjects[1]"],
    ],
    [
      "every authenticated identity",
      binding("ClusterRoleBinding", "cluster-admin", [group("system:authenticated")]),
      ["rbac/no-broad-roles subjects[0]"],
    ],
    [
      "a RoleBinding's group reaches the ServiceAccounts the group covers",
      binding("RoleBinding", "secrets", [group("system:serviceaccounts")]),
      ["rbac/no-secret-read subjects[0]"],
    ],
    [
      "a ServiceAccount named as a user",
      binding("ClusterRoleBinding", "secrets", [
        { kind: "User", apiGroup: GROUP, name: "system:serviceaccount:team-a:mcp" },
        { kind: "User", apiGroup: GROUP, name: "system:serviceaccount:team-b:mcp" },
      ]),
      ["rbac/no-secret-read subjects[0]"],
    ],
    [
      "a named ServiceAccount and its group in one binding: one finding each",
      binding("ClusterRoleBinding", "secrets", [sa("team-a"), group("system:serviceaccounts")]),
      ["rbac/no-secret-read subjects[0]", "rbac/no-secret-read subjects[1]"],
    ],
    [
      "a group granted a harmless role",
      binding("ClusterRoleBinding", "viewer", [group("system:serviceaccounts")]),
      [],
    ],
  ];
  for (const [what, b, expected] of table) {
    const d = judgeBinding(b, {
      policy: policy(),
      rbac: [secretsReader, viewer],
      judgedNamespaces: judged,
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
    judgedNamespaces: judged,
    now: new Date(0),
  });
  assert.deepEqual(d.findings, []);
  // updating "old" to a harmless role is allowed: its old rules no longer count
  const fixed = binding("ClusterRoleBinding", "viewer", [sa("team-a")], "old");
  assert.equal(
    judgeBinding(fixed, {
      policy: policy(),
      rbac: [secretsReader, viewer, existing],
      judgedNamespaces: judged,
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
    judgedNamespaces: judged,
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
    judgedNamespaces: judged,
    now: new Date(0),
    unavailable: "the rolebindings watch has not synced",
  });
  assert.equal(stale.allowed, false);
});

test("a group's finding names the group and every judged namespace it reaches, once", () => {
  const table: [string, BindingObject, string][] = [
    [
      "all ServiceAccounts",
      binding("ClusterRoleBinding", "secrets", [group("system:serviceaccounts")]),
      "Group system:serviceaccounts (every ServiceAccount of namespaces team-a, team-c) may get secrets cluster-wide through ClusterRoleBinding b (subject Group system:serviceaccounts) → ClusterRole secrets rules[0]",
    ],
    [
      "one namespace's",
      binding("RoleBinding", "secrets", [group("system:serviceaccounts:team-c")]),
      "Group system:serviceaccounts:team-c (every ServiceAccount of namespace team-c) may get secrets in namespace team-a through RoleBinding team-a/b (subject Group system:serviceaccounts:team-c) → ClusterRole secrets rules[0]",
    ],
  ];
  for (const [what, b, message] of table) {
    const d = judgeBinding(b, {
      policy: policy(),
      rbac: [secretsReader],
      judgedNamespaces: ["team-a", "team-c"],
      now: new Date(0),
    });
    assert.equal(d.allowed, false, what);
    assert.equal(d.findings.length, 1, what);
    assert.ok(d.findings[0]?.message.startsWith(message), `${what}: ${d.findings[0]?.message}`);
    assert.deepEqual(
      d.findings[0]?.related?.map((r) => `${r.kind} ${r.name} ${r.path}`),
      [`${b.kind} b subjects[0]`, "ClusterRole secrets rules[0]"],
      what,
    );
  }
  // no judged namespace: nothing is reached, nothing denied
  const none = judgeBinding(
    binding("ClusterRoleBinding", "secrets", [group("system:serviceaccounts")]),
    {
      policy: policy(),
      rbac: [secretsReader],
      judgedNamespaces: [],
      now: new Date(0),
    },
  );
  assert.deepEqual(none, { allowed: true, findings: [] });
});
