import type { KubernetesPermission } from "../../evaluation/predicate.ts";
import { fieldPath } from "../../field-path.ts";
import { ruleAllows, type Grant, type ObjectRef, type RoleRefOnly } from "../rbac.ts";
import {
  yamlExample,
  type Explanation,
  type Finding,
  type RelatedLocation,
  type Rule,
  type RuleContext,
} from "../rule.ts";
import { serviceAccountField, serviceAccountOf } from "../workload.ts";
import { imageReferences } from "./image.ts";

/** What one rule forbids: a verb on a resource in an API group. */
interface Right {
  verbs: readonly string[];
  group: string;
  resources: readonly string[];
}

const CORE = "";
const READ = ["get", "list", "watch"];
const WRITE = ["create", "update", "patch", "delete", "deletecollection"];

const BROAD_ROLES = new Set(["cluster-admin", "admin", "edit"]);

/**
 * An explanation's example: the server's own ServiceAccount bound to a role of `rules` (a Role in
 * its namespace, or a ClusterRole for cluster-scoped resources), and the pod using it.
 */
function roleExample(rules: string, scope: "namespace" | "cluster" = "namespace"): string {
  const role = scope === "cluster" ? "ClusterRole" : "Role";
  const metadata = `metadata:\n  name: mcp-example${scope === "cluster" ? "" : "\n  namespace: mcp-servers"}`;
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ${role}
${metadata}
rules:
${rules.replace(/^/gm, "  ")}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ${role}Binding
${metadata}
subjects:
  - kind: ServiceAccount
    name: mcp-example
    namespace: mcp-servers
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ${role}
  name: mcp-example
---
spec:
  template:
    spec:
      serviceAccountName: mcp-example # its own ServiceAccount: grants to default reach other pods
      automountServiceAccountToken: false`;
}

function refName(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

function where(grant: Grant | RoleRefOnly): string {
  return grant.namespace === undefined ? "cluster-wide" : `in namespace ${grant.namespace}`;
}

/** The binding (at the matching subject) and the role, and where the rule lives. */
function related(grant: Grant | RoleRefOnly): RelatedLocation[] {
  const out: RelatedLocation[] = [
    { ...grant.binding, path: fieldPath("subjects", grant.subjectIndex) },
  ];
  if (!("source" in grant)) return [...out, { ...grant.role, path: "metadata.name" }];
  const aggregated = grant.source.name !== grant.role.name || grant.source.kind !== grant.role.kind;
  if (aggregated) out.push({ ...grant.role, path: "aggregationRule.clusterRoleSelectors" });
  out.push({ ...grant.source, path: fieldPath("rules", grant.ruleIndex) });
  return out;
}

/** "RoleBinding team-a/x (ServiceAccount) → ClusterRole y rules[0] (aggregated into z)". */
function chain(grant: Grant): string {
  const aggregated =
    grant.source.name !== grant.role.name || grant.source.kind !== grant.role.kind
      ? `, aggregated into ${refName(grant.role)}`
      : "";
  return `${refName(grant.binding)} (subject ${grant.via}) → ${refName(grant.source)} rules[${grant.ruleIndex}]${aggregated}`;
}

function grantsOf(ctx: RuleContext): { grants: Grant[]; bindings: RoleRefOnly[] } {
  const sa = serviceAccountOf(ctx.workload.podSpec);
  return ctx.cluster.rbac?.grantsTo(ctx.workload.namespace, sa) ?? { grants: [], bindings: [] };
}

function saPath(ctx: RuleContext): string {
  return fieldPath(ctx.workload.specPath, serviceAccountField(ctx.workload.podSpec));
}

function saName(ctx: RuleContext): string {
  return `ServiceAccount ${ctx.workload.namespace}/${serviceAccountOf(ctx.workload.podSpec)}`;
}

/** The forbidden rights a grant allows, as `get/list secrets` strings. */
function allowed(grant: Grant, rights: readonly Right[]): string[] {
  const out: string[] = [];
  for (const right of rights) {
    for (const resource of right.resources) {
      const verbs = right.verbs.filter((verb) => ruleAllows(grant, verb, right.group, resource));
      if (verbs.length > 0) out.push(`${verbs.join("/")} ${resource}`);
    }
  }
  return out;
}

/** A rule that forbids any grant of `rights`, one finding per granting PolicyRule. */
function rightsRule(
  id: string,
  title: string,
  rights: readonly Right[],
  why: string,
  explain: Explanation,
): Rule {
  return {
    id,
    title,
    explain,
    check(ctx) {
      const findings: Finding[] = [];
      for (const grant of grantsOf(ctx).grants) {
        const hits = allowed(grant, rights);
        if (hits.length === 0) continue;
        findings.push({
          rule: id,
          message: `${saName(ctx)} may ${hits.join(", ")} ${where(grant)} through ${chain(grant)}: ${why}`,
          path: saPath(ctx),
          related: related(grant),
        });
      }
      return findings;
    },
  };
}

const noBroadRoles: Rule = {
  id: "rbac/no-broad-roles",
  title: "The pod's ServiceAccount is not bound to cluster-admin, admin or edit.",
  explain: {
    why: "cluster-admin does anything anywhere; admin and edit read every Secret, exec into every pod and create workloads in their namespace. Bound to the server's ServiceAccount they are the server's, and a server steered by a prompt can be told to use them.",
    fix: "Remove the binding to the broad ClusterRole and bind a Role that lists only the verbs and resources the server uses, in the namespace it works in; give the server its own ServiceAccount rather than default. rbac/* rules are exempted only when the policy's spec.exceptions.exemptible names them (a glob starting with rbac/).",
    example: roleExample(yamlExample`
      - apiGroups: [""]
        resources: ["configmaps"]
        verbs: ["get", "list", "watch"]
    `),
  },
  check(ctx) {
    const { grants, bindings } = grantsOf(ctx);
    const seen = new Set<string>();
    const findings: Finding[] = [];
    const all: (Grant | RoleRefOnly)[] = [...bindings, ...grants];
    for (const g of all) {
      if (g.role.kind !== "ClusterRole" || !BROAD_ROLES.has(g.role.name)) continue;
      const key = `${refName(g.binding)}|${g.subjectIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({
        rule: this.id,
        message: `${saName(ctx)} is bound to ClusterRole ${g.role.name} ${where(g)} by ${refName(g.binding)} (subject ${g.via}): bind a Role that lists only what the server needs`,
        path: saPath(ctx),
        related: [
          { ...g.binding, path: fieldPath("subjects", g.subjectIndex) },
          { ...g.binding, path: "roleRef.name" },
        ],
      });
    }
    return findings;
  },
};

const noWildcards: Rule = {
  id: "rbac/no-wildcards",
  title: "No rule granted to the pod's ServiceAccount uses * for verbs, resources or API groups.",
  explain: {
    why: "A * grants everything that exists and everything added later: every verb (escalate, impersonate and delete included), every resource of every custom resource definition installed after the review.",
    fix: "Name the verbs, resources and API groups the server uses in every rule of the roles bound to its ServiceAccount, and nothing else.",
    example: roleExample(yamlExample`
      - apiGroups: ["apps"]
        resources: ["deployments"]
        verbs: ["get", "list", "watch"]
    `),
  },
  check(ctx) {
    const findings: Finding[] = [];
    for (const grant of grantsOf(ctx).grants) {
      const { rule } = grant;
      const fields = (
        [
          ["verbs", rule.verbs],
          ["resources", rule.resources],
          ["apiGroups", rule.apiGroups],
        ] as const
      ).filter(([, values]) => values?.some((v) => v === "*"));
      if (fields.length === 0) continue;
      findings.push({
        rule: this.id,
        message: `${saName(ctx)} is granted * in ${fields.map(([f]) => f).join(", ")} ${where(grant)} through ${chain(grant)}: name the verbs, resources and API groups the server uses`,
        path: saPath(ctx),
        related: related(grant),
      });
    }
    return findings;
  },
};

const WORKLOAD_CREATE: Right[] = [
  { verbs: ["create"], group: CORE, resources: ["pods", "replicationcontrollers"] },
  {
    verbs: ["create"],
    group: "apps",
    resources: ["deployments", "replicasets", "statefulsets", "daemonsets"],
  },
  { verbs: ["create"], group: "batch", resources: ["jobs", "cronjobs"] },
];

/**
 * What the pod's images' signed evaluations declare (`permissions.kubernetes`), from the newest
 * verified evaluation of each image that declares permissions; undefined when none does.
 */
function declaredAccess(ctx: RuleContext): KubernetesPermission[] | undefined {
  let declared: KubernetesPermission[] | undefined;
  for (const reference of imageReferences(ctx.workload)) {
    const newest = (ctx.evidence?.forImage(reference)?.verifiedEvaluations ?? [])
      .filter((e) => e.kubernetes !== undefined)
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
    if (newest?.kubernetes) declared = [...(declared ?? []), ...newest.kubernetes];
  }
  return declared;
}

const has = (list: readonly string[], value: string) => list.includes("*") || list.includes(value);

/**
 * What Kubernetes grants every authenticated identity (system:basic-user, system:discovery):
 * asking about its own rights and reading discovery. No server needs to declare it.
 */
const BASELINE: readonly KubernetesPermission[] = [
  {
    apiGroups: ["authorization.k8s.io"],
    resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    verbs: ["create"],
    namespaces: ["*"],
  },
  {
    apiGroups: ["authentication.k8s.io"],
    resources: ["selfsubjectreviews"],
    verbs: ["create"],
    namespaces: ["*"],
  },
];

/** The `verb group/resource` tuples of a grant that no declared entry covers. */
function undeclared(grant: Grant, declared: readonly KubernetesPermission[]): string[] {
  const { rule } = grant;
  if ((rule.nonResourceURLs ?? []).length > 0 && (rule.resources ?? []).length === 0) {
    // Reading discovery and health endpoints is everyone's; anything else on them is not.
    return rule.verbs
      .filter((v) => v !== "get")
      .flatMap((v) => (rule.nonResourceURLs ?? []).map((u) => `${v} ${u}`));
  }
  declared = [...declared, ...BASELINE];
  // A cluster-wide grant is covered only by `*` namespaces; wildcards must be declared as such.
  const scope = grant.namespace ?? "*";
  const out: string[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const covered = declared.some(
          (d) =>
            has(d.apiGroups, group) &&
            has(d.resources, resource) &&
            has(d.verbs, verb) &&
            (d.namespaces.includes("*") || d.namespaces.includes(scope)),
        );
        if (!covered) out.push(`${verb} ${group === "" ? "" : `${group}/`}${resource}`);
      }
    }
  }
  return out;
}

const withinDeclared: Rule = {
  id: "rbac/within-declared",
  title:
    "The pod's ServiceAccount is granted no more than its signed evaluation declares (permissions.kubernetes).",
  explain: {
    why: "The signed evaluation records the Kubernetes access the server says it needs (permissions.kubernetes in its server.json), which is what reviewers approved. A grant beyond it is access nobody reviewed, there to be misused.",
    fix: 'Grant only what permissions.kubernetes declares (verbs x resources x namespaces; a cluster-wide grant needs namespaces ["*"]), or declare the access in server.json and evaluate the release again so reviewers see it. Reading discovery and asking about its own rights need no declaration. Judged only with registry facts: check skips it unless --verify-images is given.',
    example: yamlExample`
      # server.json: _meta["dev.mcp-warden/permissions"], which the evaluation signs
      kubernetes:
        - apiGroups: [""]
          resources: ["configmaps"]
          verbs: ["get", "list", "watch"]
          namespaces: ["mcp-servers"]
      # and a Role granting no more: the same rule, bound in namespace mcp-servers
    `,
  },
  needsRegistry: true,
  check(ctx) {
    const declared = declaredAccess(ctx);
    // Without a verified evaluation that declares permissions, image/evaluated speaks.
    if (declared === undefined) return [];
    const findings: Finding[] = [];
    for (const grant of grantsOf(ctx).grants) {
      const extra = undeclared(grant, declared);
      if (extra.length === 0) continue;
      findings.push({
        rule: this.id,
        message: `${saName(ctx)} may ${extra.join(", ")} ${where(grant)} through ${chain(grant)}, which the server's signed evaluation does not declare (permissions.kubernetes): grant only what it declares`,
        path: saPath(ctx),
        related: related(grant),
      });
    }
    return findings;
  },
};

/** When the RBAC state cannot be trusted (a watch down too long), every rbac rule denies and says why. */
function unlessStale(rule: Rule): Rule {
  return {
    ...rule,
    check(ctx) {
      const stale = ctx.cluster.unavailable?.rbac;
      if (stale === undefined) return rule.check.call(rule, ctx);
      return [
        {
          rule: rule.id,
          message: `cannot verify the ServiceAccount's RBAC: ${stale}`,
          path: saPath(ctx),
        },
      ];
    },
  };
}

const rules: readonly Rule[] = [
  noBroadRoles,
  noWildcards,
  rightsRule(
    "rbac/no-secret-read",
    "The pod's ServiceAccount cannot get, list or watch Secrets.",
    [{ verbs: READ, group: CORE, resources: ["secrets"] }],
    "reading Secrets hands the server every credential they hold; mount the one it needs instead",
    {
      why: "Reading Secrets hands over every credential in their scope: other servers' API keys, registry pull secrets, TLS keys, tokens. One injected instruction to list them empties the namespace.",
      fix: "Remove get, list and watch on secrets from the roles bound to the ServiceAccount (including through * and aggregated ClusterRoles). Mount the one Secret the server needs as a volume instead: the kubelet reads it, the server never needs the right.",
      example: roleExample(yamlExample`
        - apiGroups: [""]
          resources: ["configmaps"]
          resourceNames: ["mcp-example-config"]
          verbs: ["get", "watch"]
      `),
    },
  ),
  rightsRule(
    "rbac/no-pod-exec",
    "The pod's ServiceAccount cannot exec into, attach to or port-forward to pods.",
    [
      {
        verbs: ["create", "get"],
        group: CORE,
        resources: ["pods/exec", "pods/attach", "pods/portforward"],
      },
    ],
    "that runs commands in, or reaches into, other pods",
    {
      why: "pods/exec and pods/attach run commands in other pods, as them and with their credentials and data; pods/portforward reaches their ports around every NetworkPolicy.",
      fix: "Remove create and get on pods/exec, pods/attach and pods/portforward. A server that must run commands runs them in its own container; one that reads logs needs only pods/log.",
      example: roleExample(yamlExample`
        - apiGroups: [""]
          resources: ["pods", "pods/log"]
          verbs: ["get", "list"]
      `),
    },
  ),
  rightsRule(
    "rbac/no-workload-create",
    "The pod's ServiceAccount cannot create pods or pod controllers.",
    WORKLOAD_CREATE,
    "whoever creates pods can run them with any ServiceAccount of the namespace",
    {
      why: "Whoever creates pods, or anything that makes pods (Deployments, Jobs, CronJobs...), runs any image as any ServiceAccount of the namespace and mounts any of its Secrets: every right in the namespace, by proxy.",
      fix: "Remove create on pods, replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs and cronjobs. A server that launches jobs by design belongs in a namespace of its own with nothing else in it, with the rule made exemptible in the policy and an MCPWardenException for it.",
      example: roleExample(yamlExample`
        - apiGroups: ["apps", "batch"]
          resources: ["deployments", "jobs"]
          verbs: ["get", "list", "watch"]
      `),
    },
  ),
  rightsRule(
    "rbac/no-node-proxy",
    "The pod's ServiceAccount has no access to nodes/proxy.",
    [
      {
        verbs: ["get", "create", "update", "patch", "delete"],
        group: CORE,
        resources: ["nodes/proxy"],
      },
    ],
    "the kubelet API runs commands in every pod of the node",
    {
      why: "nodes/proxy reaches the kubelet's API, which runs commands in every pod of the node, outside admission control and with little audit trail.",
      fix: "Remove every verb on nodes/proxy. Node and pod metrics come through the metrics API (metrics.k8s.io) and node status through get on nodes.",
      example: roleExample(
        yamlExample`
          - apiGroups: [""]
            resources: ["nodes"]
            verbs: ["get", "list"]
        `,
        "cluster",
      ),
    },
  ),
  rightsRule(
    "rbac/no-escalation",
    "The pod's ServiceAccount cannot escalate, bind or impersonate.",
    [
      {
        verbs: ["escalate", "bind"],
        group: "rbac.authorization.k8s.io",
        resources: ["roles", "clusterroles"],
      },
      { verbs: ["impersonate"], group: CORE, resources: ["users", "groups", "serviceaccounts"] },
      {
        verbs: ["impersonate"],
        group: "authentication.k8s.io",
        resources: ["userextras/scopes", "uids"],
      },
    ],
    "that grants more than the server's own roles hold",
    {
      why: "escalate writes roles with rights the writer does not hold, bind binds any role to anyone, impersonate acts as any user, group or ServiceAccount: each is every right in its scope.",
      fix: "Remove escalate and bind on roles and clusterroles, and impersonate on users, groups, serviceaccounts, userextras/scopes and uids. A server that reports on RBAC needs only get, list and watch.",
      example: roleExample(yamlExample`
        - apiGroups: ["rbac.authorization.k8s.io"]
          resources: ["roles", "rolebindings"]
          verbs: ["get", "list", "watch"]
      `),
    },
  ),
  rightsRule(
    "rbac/no-token-create",
    "The pod's ServiceAccount cannot create ServiceAccount tokens.",
    [{ verbs: ["create"], group: CORE, resources: ["serviceaccounts/token"] }],
    "a token for another ServiceAccount carries that account's rights",
    {
      why: "create on serviceaccounts/token issues tokens for any ServiceAccount in its scope, each carrying that account's rights.",
      fix: "Remove create on serviceaccounts/token. A server that needs a token of its own gets it from the kubelet: a projected serviceAccountToken volume with the audience it needs and a short expirationSeconds.",
      example: yamlExample`
        spec:
          template:
            spec:
              automountServiceAccountToken: false
              containers:
                - name: server
                  volumeMounts:
                    - name: token
                      mountPath: /var/run/secrets/tokens/cloud
                      readOnly: true
              volumes:
                - name: token
                  projected:
                    sources:
                      - serviceAccountToken:
                          audience: sts.example.com
                          expirationSeconds: 3600
                          path: token
      `,
    },
  ),
  {
    id: "rbac/no-csr-approval",
    title: "The pod's ServiceAccount cannot approve certificate signing requests.",
    explain: {
      why: "Approving certificate signing requests (update on certificatesigningrequests/approval together with approve on a signer) issues client certificates that authenticate as whoever the signer allows: another user, a node, system:masters.",
      fix: "Remove update on certificatesigningrequests/approval or approve on signers (either one is enough to pass). Leave approval to the controller manager or a dedicated approver. Reading requests stays allowed.",
      example: roleExample(
        yamlExample`
          - apiGroups: ["certificates.k8s.io"]
            resources: ["certificatesigningrequests"]
            verbs: ["get", "list", "watch"]
        `,
        "cluster",
      ),
    },
    check(ctx) {
      const { grants } = grantsOf(ctx);
      const approval = grants.filter((g) =>
        ruleAllows(g, "update", "certificates.k8s.io", "certificatesigningrequests/approval"),
      );
      const signers = grants.filter((g) =>
        ruleAllows(g, "approve", "certificates.k8s.io", "signers"),
      );
      // Approval needs both: update on the approval subresource and approve on a signer.
      if (approval.length === 0 || signers.length === 0) return [];
      return [...approval, ...signers].map((grant) => ({
        rule: this.id,
        message: `${saName(ctx)} may approve certificate signing requests ${where(grant)} (update certificatesigningrequests/approval and approve signers) through ${chain(grant)}: an approved certificate authenticates as anyone the signer allows`,
        path: saPath(ctx),
        related: related(grant),
      }));
    },
  },
  rightsRule(
    "rbac/no-webhook-write",
    "The pod's ServiceAccount cannot write admission webhook configurations.",
    [
      {
        verbs: WRITE,
        group: "admissionregistration.k8s.io",
        resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
      },
    ],
    "a webhook sees, and can change or block, every object the API server admits",
    {
      why: "An admission webhook sees every object the API server admits (Secrets included) and can change or refuse it; whoever writes webhook configurations can add one, or remove mcp-warden's own.",
      fix: "Remove create, update, patch, delete and deletecollection on validatingwebhookconfigurations and mutatingwebhookconfigurations. Reading them (get, list, watch) stays allowed.",
      example: roleExample(
        yamlExample`
          - apiGroups: ["admissionregistration.k8s.io"]
            resources: ["validatingwebhookconfigurations"]
            verbs: ["get", "list", "watch"]
        `,
        "cluster",
      ),
    },
  ),
  withinDeclared,
];

export const rbacRules: readonly Rule[] = rules.map(unlessStale);
