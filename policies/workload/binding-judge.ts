import type { ClusterState } from "./cluster-state.ts";
import { createClusterState } from "./cluster-state.ts";
import type { DecidedFinding } from "./engine.ts";
import { fieldPath } from "../field-path.ts";
import type { CompiledPolicy } from "./policy.ts";
import {
  createRbacState,
  refOfObject,
  sameObject,
  type BindingObject,
  type RbacObject,
  type Subject,
} from "./rbac.ts";
import { rbacRules } from "./rules/rbac.ts";
import { toWorkload } from "./workload.ts";
import { Horizon } from "./horizon.ts";

export interface BindingDecision {
  allowed: boolean;
  findings: DecidedFinding[];
}

/** Every ServiceAccount of a namespace: the authorizer puts each in these groups. */
const ALL_SERVICE_ACCOUNTS = ["system:serviceaccounts", "system:authenticated"];
const NAMESPACE_GROUP = "system:serviceaccounts:";
const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * The ServiceAccounts of judged namespaces a subject reaches, as `[namespace, name]`; `name` is
 * undefined for a group, which reaches every ServiceAccount of the namespace. A RoleBinding's
 * group grants its rights in the binding's namespace to ServiceAccounts of every namespace the
 * group covers, so the reach follows the group, not the binding.
 */
function reach(
  subject: Subject,
  bindingNs: string | undefined,
  judged: readonly string[],
): [string, string | undefined][] {
  const ok = (ns: string) => judged.includes(ns);
  if (subject.kind === "ServiceAccount") {
    const ns = subject.namespace || bindingNs || "default";
    return ok(ns) ? [[ns, subject.name]] : [];
  }
  if (subject.kind === "User") {
    const m = SA_USER.exec(subject.name);
    return m?.[1] && m[2] && ok(m[1]) ? [[m[1], m[2]]] : [];
  }
  if (ALL_SERVICE_ACCOUNTS.includes(subject.name)) return judged.map((ns) => [ns, undefined]);
  if (subject.name.startsWith(NAMESPACE_GROUP)) {
    const ns = subject.name.slice(NAMESPACE_GROUP.length);
    return ok(ns) ? [[ns, undefined]] : [];
  }
  return [];
}

// Not a valid ServiceAccount name, so only group subjects grant anything to it.
const ANY_ACCOUNT = "*";

/**
 * Judges a RoleBinding or ClusterRoleBinding about to be written: for each ServiceAccount of a
 * namespace mcp-warden judges that one of its subjects reaches — named, as the user
 * `system:serviceaccount:NS:NAME`, or through the groups `system:serviceaccounts`,
 * `system:serviceaccounts:NS` and `system:authenticated` — the rbac rules run as they would for a
 * pod of that account, against the cluster's RBAC with this binding in place. Only what this
 * binding grants counts, so a binding is never blamed for another's grant. A group's finding is
 * one per rule and grant, naming the group and every judged namespace it reaches.
 */
export function judgeBinding(
  binding: BindingObject,
  opts: {
    policy: CompiledPolicy;
    rbac: readonly RbacObject[];
    /** The namespaces the webhook judges (opted in, not excluded). */
    judgedNamespaces: readonly string[];
    now: Date;
    /** Why the RBAC state cannot be trusted; the rules then deny and say why. */
    unavailable?: string | undefined;
  },
): BindingDecision {
  const self = refOfObject(binding);
  const objects = [...opts.rbac.filter((o) => !sameObject(refOfObject(o), self)), binding];
  const cluster: ClusterState = {
    ...createClusterState(opts.unavailable ? { unavailable: { rbac: opts.unavailable } } : {}),
    rbac: createRbacState(objects),
  };
  const bindingNs = binding.kind === "RoleBinding" ? binding.metadata.namespace : undefined;
  const findings: DecidedFinding[] = [];
  let allowed = true;
  (binding.subjects ?? []).forEach((subject, i) => {
    const path = fieldPath("subjects", i);
    // rule id + related objects → the finding and every namespace it was found in
    const found = new Map<string, { finding: DecidedFinding; namespaces: string[] }>();
    for (const [namespace, name] of reach(subject, bindingNs, opts.judgedNamespaces)) {
      const workload = toWorkload({
        kind: "Pod",
        metadata: { name: `pods of ServiceAccount ${name ?? ANY_ACCOUNT}`, namespace },
        spec: { serviceAccountName: name ?? ANY_ACCOUNT, containers: [] },
      });
      for (const rule of rbacRules) {
        const action = opts.policy.actionFor(rule.id);
        if (rule.needsRegistry || action === "off") continue;
        const ctx = {
          workload,
          cluster,
          settings: opts.policy.settings,
          evidence: undefined,
          now: opts.now,
          horizon: new Horizon(),
        };
        for (const f of rule.check(ctx)) {
          // A finding without related objects says the state cannot be trusted: it stands.
          if (f.related && !f.related.some((r) => sameObject(r, self) && r.path === path)) continue;
          if (action === "enforce") allowed = false;
          const decided: DecidedFinding = { ...f, action, path };
          if (name !== undefined) {
            findings.push(decided);
            continue;
          }
          const key = `${f.rule}|${JSON.stringify(f.related ?? [])}`;
          const seen = found.get(key);
          if (seen) seen.namespaces.push(namespace);
          else found.set(key, { finding: decided, namespaces: [namespace] });
        }
      }
    }
    for (const { finding, namespaces } of found.values()) {
      findings.push({ ...finding, message: groupMessage(subject.name, namespaces, finding) });
    }
  });
  return { allowed, findings };
}

/**
 * A rule's message names the pod's ServiceAccount first; for a group the subject is every
 * ServiceAccount of the namespaces it reaches.
 */
function groupMessage(group: string, namespaces: readonly string[], finding: DecidedFinding) {
  const who = `Group ${group} (every ServiceAccount of ${namespaces.length === 1 ? "namespace" : "namespaces"} ${namespaces.join(", ")})`;
  const own = `ServiceAccount ${namespaces[0] ?? ""}/${ANY_ACCOUNT} `;
  return finding.message.startsWith(own)
    ? `${who} ${finding.message.slice(own.length)}`
    : `${who}: ${finding.message}`;
}
