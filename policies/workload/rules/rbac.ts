import type { KubernetesPermission } from "../../evaluation/predicate.ts";
import { fieldPath } from "../../field-path.ts";
import { ruleAllows, type Grant, type ObjectRef, type RoleRefOnly } from "../rbac.ts";
import type { Finding, RelatedLocation, Rule, RuleContext } from "../rule.ts";
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
  const sa = ctx.workload.podSpec.serviceAccountName || "default";
  return ctx.cluster.rbac?.grantsTo(ctx.workload.namespace, sa) ?? { grants: [], bindings: [] };
}

function saPath(ctx: RuleContext): string {
  return fieldPath(ctx.workload.specPath, "serviceAccountName");
}

function saName(ctx: RuleContext): string {
  return `ServiceAccount ${ctx.workload.namespace}/${ctx.workload.podSpec.serviceAccountName || "default"}`;
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
function rightsRule(id: string, title: string, rights: readonly Right[], why: string): Rule {
  return {
    id,
    title,
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
  ),
  rightsRule(
    "rbac/no-workload-create",
    "The pod's ServiceAccount cannot create pods or pod controllers.",
    WORKLOAD_CREATE,
    "whoever creates pods can run them with any ServiceAccount of the namespace",
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
  ),
  rightsRule(
    "rbac/no-token-create",
    "The pod's ServiceAccount cannot create ServiceAccount tokens.",
    [{ verbs: ["create"], group: CORE, resources: ["serviceaccounts/token"] }],
    "a token for another ServiceAccount carries that account's rights",
  ),
  {
    id: "rbac/no-csr-approval",
    title: "The pod's ServiceAccount cannot approve certificate signing requests.",
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
  ),
  withinDeclared,
];

export const rbacRules: readonly Rule[] = rules.map(unlessStale);
