import { InputError } from "../errors.ts";
import { isRecord } from "../guards.ts";
import type { LabelSelector, Labels } from "./k8s-types.ts";
import { labelSelectorSchema as selector, selectorMatches } from "./label-selector.ts";
import { compileSchema } from "../schema-validator.ts";

/**
 * The RBAC objects (rbac.authorization.k8s.io/v1) and ServiceAccounts that decide what a pod's
 * ServiceAccount may do, read as the API server would admit them, and resolved the way its RBAC
 * authorizer does.
 */
export const RBAC_KINDS = [
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
  "ServiceAccount",
] as const;
export type RbacKind = (typeof RBAC_KINDS)[number];

export function isRbacKind(kind: unknown): kind is RbacKind {
  return typeof kind === "string" && (RBAC_KINDS as readonly string[]).includes(kind);
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface RbacMeta {
  name: string;
  namespace?: string;
  labels?: Labels;
}

export interface RoleObject {
  kind: "Role" | "ClusterRole";
  metadata: RbacMeta;
  rules?: PolicyRule[];
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

export interface Subject {
  kind: "ServiceAccount" | "User" | "Group";
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface BindingObject {
  kind: "RoleBinding" | "ClusterRoleBinding";
  metadata: RbacMeta;
  subjects?: Subject[];
  roleRef: { apiGroup: string; kind: "Role" | "ClusterRole"; name: string };
}

export interface ServiceAccountObject {
  kind: "ServiceAccount";
  metadata: RbacMeta;
  automountServiceAccountToken?: boolean;
}

export type RbacObject = RoleObject | BindingObject | ServiceAccountObject;

const RBAC_GROUP = "rbac.authorization.k8s.io";

const strings = { type: "array", items: { type: "string" } } as const;

const metadata = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", minLength: 1 },
    namespace: { type: "string" },
    labels: { type: "object", additionalProperties: { type: "string" } },
  },
} as const;

// As the API server validates a PolicyRule: verbs are required, and a rule names either
// resources (with apiGroups) or nonResourceURLs.
const policyRule = {
  type: "object",
  required: ["verbs"],
  properties: {
    verbs: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
    apiGroups: strings,
    resources: strings,
    resourceNames: strings,
    nonResourceURLs: strings,
  },
  anyOf: [
    {
      required: ["apiGroups", "resources"],
      properties: {
        apiGroups: { type: "array", minItems: 1 },
        resources: { type: "array", minItems: 1 },
      },
    },
    {
      required: ["nonResourceURLs"],
      properties: { nonResourceURLs: { type: "array", minItems: 1 } },
    },
  ],
} as const;

const roleSchema = {
  type: "object",
  required: ["kind", "metadata"],
  properties: {
    kind: { enum: ["Role", "ClusterRole"] },
    metadata,
    rules: { type: "array", items: policyRule },
    aggregationRule: {
      type: "object",
      properties: { clusterRoleSelectors: { type: "array", items: selector } },
    },
  },
} as const;

const subject = {
  type: "object",
  required: ["kind", "name"],
  properties: {
    kind: { enum: ["ServiceAccount", "User", "Group"] },
    name: { type: "string", minLength: 1 },
    namespace: { type: "string" },
    apiGroup: { type: "string" },
  },
  // ServiceAccounts are in the core group; users and groups in rbac.authorization.k8s.io.
  if: { properties: { kind: { type: "string", const: "ServiceAccount" } } },
  then: { properties: { apiGroup: { type: "string", const: "" } } },
  else: { required: ["apiGroup"], properties: { apiGroup: { type: "string", const: RBAC_GROUP } } },
} as const;

const bindingSchema = {
  type: "object",
  required: ["kind", "metadata", "roleRef"],
  properties: {
    kind: { enum: ["RoleBinding", "ClusterRoleBinding"] },
    metadata,
    subjects: { type: "array", items: subject },
    roleRef: {
      type: "object",
      required: ["apiGroup", "kind", "name"],
      properties: {
        apiGroup: { const: RBAC_GROUP },
        kind: { enum: ["Role", "ClusterRole"] },
        name: { type: "string", minLength: 1 },
      },
    },
  },
  // A ClusterRoleBinding can only refer to a ClusterRole, and its ServiceAccount subjects must
  // name their namespace (there is no binding namespace to default to).
  if: { properties: { kind: { type: "string", const: "ClusterRoleBinding" } } },
  then: {
    properties: {
      roleRef: { type: "object", properties: { kind: { type: "string", const: "ClusterRole" } } },
      subjects: {
        type: "array",
        items: {
          type: "object",
          if: { properties: { kind: { type: "string", const: "ServiceAccount" } } },
          then: {
            required: ["namespace"],
            properties: { namespace: { type: "string", minLength: 1 } },
          },
        },
      },
    },
  },
} as const;

const serviceAccountSchema = {
  type: "object",
  required: ["kind", "metadata"],
  properties: {
    kind: { const: "ServiceAccount" },
    metadata,
    automountServiceAccountToken: { type: "boolean" },
  },
} as const;

const roleValidator = compileSchema<RoleObject>(roleSchema);
const bindingValidator = compileSchema<BindingObject>(bindingSchema);
const serviceAccountValidator = compileSchema<ServiceAccountObject>(serviceAccountSchema);

/**
 * The API server writes an unset list as null (an aggregated ClusterRole's `rules` until the
 * controller fills them, a binding without subjects): read null as absent, as it means.
 */
function withoutNulls(object: unknown): unknown {
  if (!isRecord(object)) return object;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (
      value === null &&
      ["rules", "subjects", "aggregationRule", "automountServiceAccountToken"].includes(key)
    )
      continue;
    out[key] = value;
  }
  return out;
}

const NAMESPACED: ReadonlySet<string> = new Set(["Role", "RoleBinding", "ServiceAccount"]);

/**
 * Validates a Role, ClusterRole, RoleBinding, ClusterRoleBinding or ServiceAccount as the API
 * server would admit it. Namespaced kinds without a namespace land in `defaultNamespace`;
 * cluster-scoped kinds lose any namespace, as the API server ignores it.
 * @throws InputError DOCUMENT_INVALID listing every bad field
 */
export function parseRbacObject(input: unknown, defaultNamespace = "default"): RbacObject {
  const object = withoutNulls(input);
  const kind = isRecord(object) ? object.kind : undefined;
  const validator =
    kind === "Role" || kind === "ClusterRole"
      ? roleValidator
      : kind === "RoleBinding" || kind === "ClusterRoleBinding"
        ? bindingValidator
        : serviceAccountValidator;
  const problems = validator.problems(object, "");
  if (problems.length > 0 || !validator.is(object)) {
    throw new InputError("DOCUMENT_INVALID", `invalid ${String(kind)}`, { problems });
  }
  const parsed: RbacObject = object;
  const { namespace, ...rest } = parsed.metadata;
  const meta: RbacMeta = NAMESPACED.has(parsed.kind)
    ? { ...rest, namespace: namespace || defaultNamespace }
    : rest;
  return { ...parsed, metadata: meta };
}

/** Where an object is, for a finding's related locations. */
export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** One PolicyRule that reaches a ServiceAccount, with the chain that grants it. */
export interface Grant {
  binding: ObjectRef;
  /** The role the binding refers to. */
  role: ObjectRef;
  /** The role whose rules hold `rule`: the bound role, or one it aggregates. */
  source: ObjectRef;
  ruleIndex: number;
  rule: PolicyRule;
  /** The namespace the rule applies in; undefined means cluster-wide (a ClusterRoleBinding). */
  namespace: string | undefined;
  /** How the binding names the ServiceAccount: `ServiceAccount`, or the group or user. */
  via: string;
  subjectIndex: number;
}

/** A reference to a role that no input or cache defines (built-in roles, for instance). */
export interface RoleRefOnly {
  binding: ObjectRef;
  role: ObjectRef;
  namespace: string | undefined;
  via: string;
  subjectIndex: number;
}

export interface RbacState {
  /** Every rule granted to the ServiceAccount, and every binding of it to a role not at hand. */
  grantsTo(namespace: string, serviceAccount: string): { grants: Grant[]; bindings: RoleRefOnly[] };
  /**
   * The ServiceAccount's `automountServiceAccountToken` when it is at hand (false: its pods get
   * no token unless they ask for one); undefined when it is not, or does not say.
   */
  automountsToken?(namespace: string, serviceAccount: string): boolean | undefined;
}

const refOf = (o: RbacObject): ObjectRef => ({
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
});

/** How a binding's subject names this ServiceAccount, or undefined when it does not. */
function subjectMatch(
  s: Subject,
  bindingNamespace: string | undefined,
  namespace: string,
  name: string,
): string | undefined {
  if (s.kind === "ServiceAccount") {
    // The authorizer defaults a RoleBinding's subject namespace to the binding's own.
    const ns = s.namespace || bindingNamespace;
    return ns === namespace && s.name === name ? "ServiceAccount" : undefined;
  }
  if (s.kind === "User") {
    return s.name === `system:serviceaccount:${namespace}:${name}` ? `User ${s.name}` : undefined;
  }
  const groups = ["system:serviceaccounts", `system:serviceaccounts:${namespace}`];
  return [...groups, "system:authenticated"].includes(s.name) ? `Group ${s.name}` : undefined;
}

export function createRbacState(objects: readonly RbacObject[]): RbacState {
  const roles = new Map<string, RoleObject>();
  const clusterRoles = new Map<string, RoleObject>();
  const bindings: BindingObject[] = [];
  const accounts = new Map<string, ServiceAccountObject>();
  for (const o of objects) {
    if (o.kind === "ServiceAccount")
      accounts.set(`${o.metadata.namespace ?? "default"}/${o.metadata.name}`, o);
    else if (o.kind === "Role") roles.set(`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
    else if (o.kind === "ClusterRole") clusterRoles.set(o.metadata.name, o);
    else if (o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") bindings.push(o);
  }

  /** A role's own rules and, for aggregated ClusterRoles, the rules of every role it selects. */
  function rulesOf(role: RoleObject, seen = new Set<RoleObject>()): [RoleObject, PolicyRule[]][] {
    if (seen.has(role)) return [];
    seen.add(role);
    const out: [RoleObject, PolicyRule[]][] = [[role, role.rules ?? []]];
    const selectors = role.aggregationRule?.clusterRoleSelectors ?? [];
    if (role.kind !== "ClusterRole" || selectors.length === 0) return out;
    for (const other of clusterRoles.values()) {
      if (other === role) continue;
      // An empty selector list aggregates nothing; each selector matches on its own.
      if (selectors.some((sel) => selectorMatches(sel, other.metadata.labels ?? {}))) {
        out.push(...rulesOf(other, seen));
      }
    }
    return out;
  }

  return {
    automountsToken: (namespace, name) =>
      accounts.get(`${namespace}/${name}`)?.automountServiceAccountToken,
    grantsTo(namespace, name) {
      const grants: Grant[] = [];
      const unresolved: RoleRefOnly[] = [];
      for (const b of bindings) {
        const bindingNs = b.kind === "RoleBinding" ? b.metadata.namespace : undefined;
        (b.subjects ?? []).forEach((s, subjectIndex) => {
          const via = subjectMatch(s, bindingNs, namespace, name);
          if (via === undefined) return;
          const role =
            b.roleRef.kind === "Role"
              ? roles.get(`${bindingNs ?? ""}/${b.roleRef.name}`)
              : clusterRoles.get(b.roleRef.name);
          const roleRef: ObjectRef =
            b.roleRef.kind === "Role"
              ? { kind: "Role", namespace: bindingNs ?? "", name: b.roleRef.name }
              : { kind: "ClusterRole", name: b.roleRef.name };
          const base = { binding: refOf(b), role: roleRef, namespace: bindingNs, via };
          if (!role) {
            unresolved.push({ ...base, subjectIndex });
            return;
          }
          for (const [source, rules] of rulesOf(role)) {
            rules.forEach((rule, ruleIndex) => {
              grants.push({ ...base, source: refOf(source), ruleIndex, rule, subjectIndex });
            });
          }
        });
      }
      return { grants, bindings: unresolved };
    },
  };
}

/** Resources that live outside namespaces: a RoleBinding grants nothing on them. */
const CLUSTER_SCOPED = new Set([
  "nodes",
  "namespaces",
  "persistentvolumes",
  "certificatesigningrequests",
  "signers",
  "validatingwebhookconfigurations",
  "mutatingwebhookconfigurations",
  "validatingadmissionpolicies",
  "clusterroles",
  "clusterrolebindings",
  "customresourcedefinitions",
  "users",
  "groups",
  "uids",
  "userextras",
]);

/**
 * Whether a rule allows `verb` on `resource` (`pods` or `pods/exec`) in API group `group`, as the
 * authorizer matches: `*` covers every verb, group and resource, `*\/sub` every resource's `sub`.
 */
export function ruleAllows(
  grant: Pick<Grant, "rule" | "namespace">,
  verb: string,
  group: string,
  resource: string,
): boolean {
  const { rule } = grant;
  const base = resource.split("/")[0] ?? resource;
  if (grant.namespace !== undefined && CLUSTER_SCOPED.has(base)) return false;
  if (!rule.verbs.includes("*") && !rule.verbs.includes(verb)) return false;
  const groups = rule.apiGroups ?? [];
  if (!groups.includes("*") && !groups.includes(group)) return false;
  const sub = resource.includes("/") ? resource.slice(resource.indexOf("/")) : undefined;
  return (rule.resources ?? []).some(
    (r) => r === "*" || r === resource || (sub !== undefined && r === `*${sub}`),
  );
}

/** The same object, as the authorizer would see it: kind, namespace and name. */
export function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && (a.namespace ?? "") === (b.namespace ?? "") && a.name === b.name;
}

export function refOfObject(o: RbacObject): ObjectRef {
  return refOf(o);
}
