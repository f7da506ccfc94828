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
} from "./rbac.ts";
import { rbacRules } from "./rules/rbac.ts";
import { toWorkload } from "./workload.ts";

export interface BindingDecision {
  allowed: boolean;
  findings: DecidedFinding[];
}

/**
 * Judges a RoleBinding or ClusterRoleBinding about to be written: for each ServiceAccount it names
 * in a namespace mcp-warden judges, the rbac rules run as they would for a pod of that account,
 * against the cluster's RBAC with this binding in place. Only what this binding grants counts,
 * so a binding is never blamed for another's grant. Group subjects are not expanded here: their
 * grants are judged when a pod is admitted.
 */
export function judgeBinding(
  binding: BindingObject,
  opts: {
    policy: CompiledPolicy;
    rbac: readonly RbacObject[];
    judgedNamespace: (namespace: string) => boolean;
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
    if (subject.kind !== "ServiceAccount") return;
    const namespace = subject.namespace || bindingNs || "default";
    if (!opts.judgedNamespace(namespace)) return;
    const workload = toWorkload({
      kind: "Pod",
      metadata: { name: `pods of ServiceAccount ${subject.name}`, namespace },
      spec: { serviceAccountName: subject.name, containers: [] },
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
      };
      for (const f of rule.check(ctx)) {
        // A finding without related objects says the state cannot be trusted: it stands.
        if (f.related && !f.related.some((r) => sameObject(r, self))) continue;
        if (action === "enforce") allowed = false;
        findings.push({ ...f, action, path: fieldPath("subjects", i) });
      }
    }
  });
  return { allowed, findings };
}
