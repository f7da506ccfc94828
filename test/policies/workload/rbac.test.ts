import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../../../policies/errors.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { parseRbacObject, type RbacObject } from "../../../policies/workload/rbac.ts";
import { rbacRules } from "../../../policies/workload/rules/rbac.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const GROUP = "rbac.authorization.k8s.io";
const sa = { kind: "ServiceAccount", name: "mcp", namespace: "team-a" };

const pod = (serviceAccountName?: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "server", namespace: "team-a" },
  spec: {
    ...(serviceAccountName ? { serviceAccountName } : {}),
    containers: [{ name: "app", image: "x" }],
  },
});

function clusterRole(name: string, rules: unknown[], extra: Record<string, unknown> = {}) {
  return parseRbacObject({
    apiVersion: `${GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name, ...((extra.metadata as object | undefined) ?? {}) },
    rules,
    ...(extra.aggregationRule ? { aggregationRule: extra.aggregationRule } : {}),
  });
}

function role(name: string, namespace: string, rules: unknown[]) {
  return parseRbacObject({
    apiVersion: `${GROUP}/v1`,
    kind: "Role",
    metadata: { name, namespace },
    rules,
  });
}

function binding(
  kind: "RoleBinding" | "ClusterRoleBinding",
  name: string,
  roleRef: { kind: "Role" | "ClusterRole"; name: string },
  subjects: Record<string, unknown>[],
  namespace?: string,
) {
  return parseRbacObject({
    apiVersion: `${GROUP}/v1`,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: GROUP, ...roleRef },
    subjects: subjects.map((s) =>
      s.kind === "ServiceAccount" ? { ...s } : { apiGroup: GROUP, ...s },
    ),
  });
}

function findings(rbac: RbacObject[], ruleId: string, serviceAccount = "mcp") {
  const rule = rbacRules.find((r) => r.id === ruleId)!;
  return rule.check(contextFor(pod(serviceAccount), { rbac }));
}

/** One forbidden PolicyRule per rule id, and one allowed look-alike. */
const RIGHTS: [string, unknown, unknown][] = [
  [
    "rbac/no-wildcards",
    { apiGroups: [""], resources: ["configmaps"], verbs: ["*"] },
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] },
  ],
  [
    "rbac/no-secret-read",
    { apiGroups: [""], resources: ["secrets"], verbs: ["list"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
  ],
  [
    "rbac/no-pod-exec",
    { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  ],
  [
    "rbac/no-pod-exec",
    { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
  ],
  [
    "rbac/no-pod-exec",
    { apiGroups: [""], resources: ["pods/attach"], verbs: ["get"] },
    { apiGroups: [""], resources: ["pods/status"], verbs: ["get"] },
  ],
  [
    "rbac/no-workload-create",
    { apiGroups: [""], resources: ["pods"], verbs: ["create"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["delete"] },
  ],
  [
    "rbac/no-workload-create",
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create"] },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"] },
  ],
  [
    "rbac/no-workload-create",
    { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["create"] },
    { apiGroups: ["apps"], resources: ["cronjobs"], verbs: ["create"] },
  ],
  [
    "rbac/no-workload-create",
    { apiGroups: [""], resources: ["replicationcontrollers"], verbs: ["create"] },
    { apiGroups: [""], resources: ["services"], verbs: ["create"] },
  ],
  [
    "rbac/no-node-proxy",
    { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
    { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
  ],
  [
    "rbac/no-escalation",
    { apiGroups: [GROUP], resources: ["clusterroles"], verbs: ["escalate"] },
    { apiGroups: [GROUP], resources: ["clusterroles"], verbs: ["get"] },
  ],
  [
    "rbac/no-escalation",
    { apiGroups: [GROUP], resources: ["roles"], verbs: ["bind"] },
    { apiGroups: [GROUP], resources: ["roles"], verbs: ["list"] },
  ],
  [
    "rbac/no-escalation",
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] },
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get"] },
  ],
  [
    "rbac/no-token-create",
    { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["create"] },
  ],
  [
    "rbac/no-webhook-write",
    {
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["mutatingwebhookconfigurations"],
      verbs: ["patch"],
    },
    {
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["mutatingwebhookconfigurations"],
      verbs: ["list"],
    },
  ],
];

/** Every way a right reaches the ServiceAccount, with its expected binding name. */
function grantRoutes(rule: unknown): { how: string; objects: RbacObject[]; binding: string }[] {
  return [
    {
      how: "ClusterRoleBinding, ServiceAccount subject",
      objects: [
        clusterRole("r", [rule]),
        binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [sa]),
      ],
      binding: "ClusterRoleBinding crb",
    },
    {
      how: "RoleBinding to a Role, subject namespace defaulted to the binding's",
      objects: [
        role("r", "team-a", [rule]),
        binding(
          "RoleBinding",
          "rb",
          { kind: "Role", name: "r" },
          [{ kind: "ServiceAccount", name: "mcp" }],
          "team-a",
        ),
      ],
      binding: "RoleBinding team-a/rb",
    },
    {
      how: "RoleBinding to a ClusterRole",
      objects: [
        clusterRole("r", [rule]),
        binding("RoleBinding", "rb", { kind: "ClusterRole", name: "r" }, [sa], "team-a"),
      ],
      binding: "RoleBinding team-a/rb",
    },
    ...["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"].map(
      (group) => ({
        how: `group ${group}`,
        objects: [
          clusterRole("r", [rule]),
          binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [
            { kind: "Group", name: group },
          ]),
        ],
        binding: "ClusterRoleBinding crb",
      }),
    ),
    {
      how: "user name of the ServiceAccount",
      objects: [
        clusterRole("r", [rule]),
        binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [
          { kind: "User", name: "system:serviceaccount:team-a:mcp" },
        ]),
      ],
      binding: "ClusterRoleBinding crb",
    },
    {
      how: "aggregated ClusterRole",
      objects: [
        clusterRole("part", [rule], { metadata: { labels: { "agg/mcp": "true" } } }),
        clusterRole("whole", [], {
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "agg/mcp": "true" } }] },
        }),
        binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "whole" }, [sa]),
      ],
      binding: "ClusterRoleBinding crb",
    },
  ];
}

// Cluster-scoped resources: a RoleBinding grants nothing on them.
const CLUSTER_SCOPED = /^(nodes|clusterroles|\w+webhookconfigurations)\b/;

for (const [ruleId, forbidden, allowed] of RIGHTS) {
  const clusterScoped = (forbidden as { resources: string[] }).resources.some((r) =>
    CLUSTER_SCOPED.test(r),
  );
  for (const route of grantRoutes(forbidden)) {
    test(`${ruleId}: ${JSON.stringify(forbidden)} through ${route.how}`, () => {
      const found = findings(route.objects, ruleId);
      if (clusterScoped && route.binding.startsWith("RoleBinding")) {
        assert.deepEqual(found, []);
        return;
      }
      assert.equal(found.length, 1, JSON.stringify(found));
      const [f] = found;
      assert.equal(f!.path, "spec.serviceAccountName");
      assert.ok(f!.message.includes(route.binding), f!.message);
      assert.ok(
        f!.related!.some((r) => `${r.kind} ${r.name}` === route.binding.replace("team-a/", "")),
      );
      assert.ok(f!.related!.some((r) => r.path === "rules[0]"));
    });
  }
  test(`${ruleId}: ${JSON.stringify(allowed)} is not reported`, () => {
    for (const route of grantRoutes(allowed)) {
      assert.deepEqual(findings(route.objects, ruleId), [], route.how);
    }
  });
}

test("wildcards grant what they cover: * resources read secrets and create pods", () => {
  const objects = [
    clusterRole("all", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]),
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "all" }, [sa]),
  ];
  for (const id of rbacRules
    .map((r) => r.id)
    .filter((id) => id !== "rbac/no-broad-roles" && id !== "rbac/within-declared")) {
    assert.ok(findings(objects, id).length > 0, id);
  }
});

test("rbac/no-broad-roles: cluster-admin, admin and edit, defined or not", () => {
  for (const name of ["cluster-admin", "admin", "edit"]) {
    const found = findings(
      [binding("RoleBinding", "rb", { kind: "ClusterRole", name }, [sa], "team-a")],
      "rbac/no-broad-roles",
    );
    assert.equal(found.length, 1, name);
    assert.match(found[0]!.message, new RegExp(`ClusterRole ${name} in namespace team-a`));
    assert.deepEqual(
      found[0]!.related!.map((r) => r.path),
      ["subjects[0]", "roleRef.name"],
    );
  }
  assert.deepEqual(
    findings(
      [binding("RoleBinding", "rb", { kind: "ClusterRole", name: "view" }, [sa], "team-a")],
      "rbac/no-broad-roles",
    ),
    [],
  );
});

test("a grant to another ServiceAccount, or in another namespace's name, does not count", () => {
  const secrets = { apiGroups: [""], resources: ["secrets"], verbs: ["get"] };
  const cases: [string, RbacObject[]][] = [
    [
      "subject in another namespace",
      [
        clusterRole("r", [secrets]),
        binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [
          { ...sa, namespace: "team-b" },
        ]),
      ],
    ],
    [
      "RoleBinding in another namespace, subject namespace defaulted there",
      [
        role("r", "team-b", [secrets]),
        binding(
          "RoleBinding",
          "rb",
          { kind: "Role", name: "r" },
          [{ kind: "ServiceAccount", name: "mcp" }],
          "team-b",
        ),
      ],
    ],
    [
      "another ServiceAccount's group",
      [
        clusterRole("r", [secrets]),
        binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [
          { kind: "Group", name: "system:serviceaccounts:team-b" },
        ]),
      ],
    ],
    [
      "a Role of the same name in another namespace",
      [
        role("r", "team-b", [secrets]),
        binding("RoleBinding", "rb", { kind: "Role", name: "r" }, [sa], "team-a"),
      ],
    ],
    [
      "an aggregated role whose selector matches nothing",
      [
        clusterRole("part", [secrets], { metadata: { labels: { other: "x" } } }),
        clusterRole("whole", [], {
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "agg/mcp": "true" } }] },
        }),
        binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "whole" }, [sa]),
      ],
    ],
  ];
  for (const [how, objects] of cases) {
    assert.deepEqual(findings(objects, "rbac/no-secret-read"), [], how);
  }
});

test("a RoleBinding to a ClusterRole grants only in its namespace", () => {
  const objects = [
    clusterRole("r", [
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
      { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
    ]),
    binding("RoleBinding", "rb", { kind: "ClusterRole", name: "r" }, [sa], "team-b"),
  ];
  const [secret] = findings(objects, "rbac/no-secret-read");
  assert.match(secret!.message, /in namespace team-b/);
  // nodes are cluster-scoped: a RoleBinding grants nothing on them
  assert.deepEqual(findings(objects, "rbac/no-node-proxy"), []);
  const cluster = [
    objects[0]!,
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [sa]),
  ];
  assert.match(findings(cluster, "rbac/no-secret-read")[0]!.message, /cluster-wide/);
  assert.equal(findings(cluster, "rbac/no-node-proxy").length, 1);
});

test("the pod's ServiceAccount defaults to default, in every workload kind", () => {
  const objects = [
    clusterRole("r", [{ apiGroups: [""], resources: ["secrets"], verbs: ["watch"] }]),
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [
      { kind: "ServiceAccount", name: "default", namespace: "team-a" },
    ]),
  ];
  const rule = rbacRules.find((r) => r.id === "rbac/no-secret-read")!;
  for (const { kind, object, specPath } of inEveryKind({ containers: [{ name: "a" }] })) {
    const found = rule.check(contextFor(object, { rbac: objects }));
    assert.deepEqual(
      found.map((f) => f.path),
      [`${specPath}.serviceAccountName`],
      kind,
    );
  }
});

test("the deprecated serviceAccount names the pod's ServiceAccount when serviceAccountName is empty", () => {
  const objects = [
    clusterRole("r", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }]),
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [sa]),
  ];
  const rule = rbacRules.find((r) => r.id === "rbac/no-secret-read")!;
  for (const { kind, object, specPath } of inEveryKind({
    serviceAccount: "mcp",
    containers: [{ name: "a" }],
  })) {
    const found = rule.check(contextFor(object, { rbac: objects }));
    assert.deepEqual(
      found.map((f) => f.path),
      [`${specPath}.serviceAccount`],
      kind,
    );
    assert.match(found[0]?.message ?? "", /ServiceAccount team-a\/mcp /, kind);
  }
  // serviceAccountName wins when both are set, as the API server has it.
  const both = inEveryKind({
    serviceAccountName: "other",
    serviceAccount: "mcp",
    containers: [{ name: "a" }],
  });
  for (const { object } of both)
    assert.deepEqual(rule.check(contextFor(object, { rbac: objects })), []);
});

test("rbac/no-csr-approval needs both the approval subresource and a signer", () => {
  const approval = {
    apiGroups: ["certificates.k8s.io"],
    resources: ["certificatesigningrequests/approval"],
    verbs: ["update"],
  };
  const signer = { apiGroups: ["certificates.k8s.io"], resources: ["signers"], verbs: ["approve"] };
  const objects = (rules: unknown[]) => [
    clusterRole("r", rules),
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [sa]),
  ];
  assert.equal(findings(objects([approval, signer]), "rbac/no-csr-approval").length, 2);
  assert.deepEqual(findings(objects([approval]), "rbac/no-csr-approval"), []);
  assert.deepEqual(findings(objects([signer]), "rbac/no-csr-approval"), []);
});

test("RBAC objects are read as the API server admits them", () => {
  const bad: [string, unknown][] = [
    [
      "rule without verbs",
      { kind: "Role", metadata: { name: "r" }, rules: [{ apiGroups: [""], resources: ["pods"] }] },
    ],
    [
      "rule with neither resources nor URLs",
      { kind: "ClusterRole", metadata: { name: "r" }, rules: [{ verbs: ["get"] }] },
    ],
    ["binding without roleRef", { kind: "RoleBinding", metadata: { name: "b" }, subjects: [] }],
    [
      "ClusterRoleBinding to a Role",
      {
        kind: "ClusterRoleBinding",
        metadata: { name: "b" },
        roleRef: { apiGroup: GROUP, kind: "Role", name: "r" },
      },
    ],
    [
      "ClusterRoleBinding ServiceAccount subject without namespace",
      {
        kind: "ClusterRoleBinding",
        metadata: { name: "b" },
        roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: "r" },
        subjects: [{ kind: "ServiceAccount", name: "mcp" }],
      },
    ],
    [
      "Group subject without apiGroup",
      {
        kind: "RoleBinding",
        metadata: { name: "b" },
        roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: "r" },
        subjects: [{ kind: "Group", name: "g" }],
      },
    ],
    [
      "roleRef in another API group",
      {
        kind: "RoleBinding",
        metadata: { name: "b" },
        roleRef: { apiGroup: "example.com", kind: "ClusterRole", name: "r" },
      },
    ],
    ["ServiceAccount without a name", { kind: "ServiceAccount", metadata: {} }],
  ];
  for (const [what, object] of bad) {
    assertThrowsWithCode(() => parseRbacObject(object), "DOCUMENT_INVALID", InputError, what);
  }
  const rb = parseRbacObject({
    kind: "RoleBinding",
    metadata: { name: "b" },
    roleRef: { apiGroup: GROUP, kind: "Role", name: "r" },
  });
  assert.equal(rb.metadata.namespace, "default");
  const crb = parseRbacObject({
    kind: "ClusterRole",
    metadata: { name: "c", namespace: "ignored" },
  });
  assert.equal(crb.metadata.namespace, undefined);
  // as the API server serves an aggregated ClusterRole before the controller fills it
  const aggregated = parseRbacObject({
    kind: "ClusterRole",
    metadata: { name: "view" },
    rules: null,
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "aggregate-to-view": "true" } }] },
  });
  assert.equal("rules" in aggregated, false);
});

test("rbac/* is exemptible only when the policy lists the family itself", () => {
  const rbac = [
    clusterRole("r", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }]),
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [sa]),
  ];
  const policy = (exemptible?: string[]) =>
    compilePolicy({
      apiVersion: "mcp-warden.dev/v1alpha1",
      kind: "MCPWardenPolicy",
      metadata: { name: "p" },
      spec: { exceptions: { namespaces: ["sys"], ...(exemptible ? { exemptible } : {}) } },
    });
  const table: [string[] | undefined, boolean][] = [
    [undefined, false],
    [["*-*"], false],
    [["rbac/*"], true],
    [["rbac/no-secret-read"], true],
  ];
  for (const [exemptible, expected] of table) {
    assert.equal(
      policy(exemptible).isExemptible("rbac/no-secret-read"),
      expected,
      String(exemptible),
    );
  }
  // and through the engine: the exception is refused under the default list
  const ex = {
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenException" as const,
    metadata: { name: "read", namespace: "sys" },
    spec: { rules: ["rbac/no-secret-read"], namespaces: ["team-a"], reason: "r" },
  };
  const workload = contextFor({
    ...pod("mcp"),
    metadata: {
      name: "server",
      namespace: "team-a",
      annotations: { "mcp-warden.dev/exception": "read" },
    },
  }).workload;
  const cluster = createClusterState({ rbac, exceptions: [ex] });
  const only = [
    {
      source: "rbac/*",
      specificity: 5,
      matches: (id: string) => id.startsWith("rbac/") || id === "exception/invalid",
    },
  ];
  const judged = (exemptible?: string[]) =>
    judgeWorkload(workload, { policy: policy(exemptible), cluster, now: new Date(0), only });
  assert.equal(judged().allowed, false);
  assert.ok(judged().findings.some((f) => f.rule === "exception/invalid"));
  const exempted = judged(["rbac/*"]);
  assert.equal(exempted.allowed, true);
  assert.equal(exempted.findings[0]!.exemptedBy, "sys/read");
});

test("rbac/within-declared: no more than the signed evaluation's permissions.kubernetes", () => {
  const rule = rbacRules.find((r) => r.id === "rbac/within-declared")!;
  assert.equal(rule.needsRegistry, true);
  const evidence = (kubernetes: unknown[] | undefined, time = "2026-05-01T00:00:00Z") => ({
    forImage: (ref: string) =>
      ref === "x"
        ? {
            verifiedSignatures: [],
            rejectedSignatures: [],
            rejectedEvaluations: [],
            verifiedEvaluations: [
              {
                verdict: "pass" as const,
                trustLevel: "L3" as const,
                time,
                signer: "key:k",
                ...(kubernetes ? { kubernetes: kubernetes as never } : {}),
              },
            ],
          }
        : undefined,
  });
  const read = { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] };
  const inTeamA = [
    role("r", "team-a", [read]),
    binding("RoleBinding", "rb", { kind: "Role", name: "r" }, [sa], "team-a"),
  ];
  const clusterWide = [
    clusterRole("r", [read]),
    binding("ClusterRoleBinding", "crb", { kind: "ClusterRole", name: "r" }, [sa]),
  ];
  const declare = (namespaces: string[], verbs = ["get", "list"]) => [
    { apiGroups: [""], resources: ["configmaps"], verbs, namespaces },
  ];
  const table: [string, RbacObject[], unknown[] | undefined, string[]][] = [
    ["declared exactly", inTeamA, declare(["team-a"]), []],
    ["declared with * verbs", inTeamA, declare(["team-a"], ["*"]), []],
    ["one verb more than declared", inTeamA, declare(["team-a"], ["get"]), ["list configmaps"]],
    [
      "declared in another namespace",
      inTeamA,
      declare(["team-b"]),
      ["get configmaps, list configmaps"],
    ],
    [
      "cluster-wide needs * namespaces",
      clusterWide,
      declare(["team-a"]),
      ["get configmaps, list configmaps"],
    ],
    ["cluster-wide declared as *", clusterWide, declare(["*"]), []],
    [
      "permissions without kubernetes: none needed",
      inTeamA,
      [],
      ["get configmaps, list configmaps"],
    ],
    ["no evaluation declares permissions: image/evaluated speaks", inTeamA, undefined, []],
    [
      "what every authenticated identity gets needs no declaration",
      [
        clusterRole("system:basic-user", [
          {
            apiGroups: ["authorization.k8s.io"],
            resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            verbs: ["create"],
          },
        ]),
        clusterRole("system:discovery", [
          { nonResourceURLs: ["/api", "/version"], verbs: ["get"] },
        ]),
        binding(
          "ClusterRoleBinding",
          "system:basic-user",
          { kind: "ClusterRole", name: "system:basic-user" },
          [{ kind: "Group", name: "system:authenticated" }],
        ),
        binding(
          "ClusterRoleBinding",
          "system:discovery",
          { kind: "ClusterRole", name: "system:discovery" },
          [{ kind: "Group", name: "system:authenticated" }],
        ),
      ],
      [],
      [],
    ],
  ];
  for (const [what, rbac, kubernetes, expected] of table) {
    const found = rule.check(contextFor(pod("mcp"), { rbac, evidence: evidence(kubernetes) }));
    assert.deepEqual(
      found.map((f) => /may (.*?) (in namespace|cluster-wide)/.exec(f.message)![1]),
      expected,
      what,
    );
    for (const f of found)
      assert.ok(
        f.related!.some((r) => r.path === "rules[0]"),
        what,
      );
  }
});

test("rbac rules deny and say why when the RBAC state cannot be trusted", () => {
  const ctx = contextFor(pod("mcp"));
  const stale = {
    ...ctx,
    cluster: { ...ctx.cluster, unavailable: { rbac: "the rolebindings watch has not synced" } },
  };
  for (const rule of rbacRules) {
    const found = rule.check(stale);
    assert.equal(found.length, 1, rule.id);
    assert.match(found[0]!.message, /rolebindings watch has not synced/);
  }
});
