import { createClusterState } from "../../policies/workload/cluster-state.ts";
import type { Exception } from "../../policies/workload/exception-schema.ts";
import type { ImageEvidence } from "../../policies/workload/image-evidence.ts";
import type { NetworkPolicy } from "../../policies/workload/k8s-types.ts";
import type { RbacObject } from "../../policies/workload/rbac.ts";
import type { RuleContext, RuleSettings } from "../../policies/workload/rule.ts";
import { toWorkload } from "../../policies/workload/workload.ts";
import { Horizon } from "../../policies/workload/horizon.ts";

export const defaultSettings: RuleSettings = {
  allowPersistentVolumeClaims: false,
  internetEgress: "deny",
  evaluation: { minTrustLevel: "L3", maxAgeMs: 720 * 3600_000 },
};

/** A rule context for one object, for testing rules one at a time. */
export function contextFor(
  object: unknown,
  opts: {
    networkPolicies?: NetworkPolicy[];
    exceptions?: Exception[];
    rbac?: RbacObject[];
    settings?: Partial<RuleSettings>;
    evidence?: ImageEvidence;
    now?: Date;
  } = {},
): RuleContext {
  return {
    workload: toWorkload(object),
    cluster: createClusterState({
      networkPolicies: opts.networkPolicies ?? [],
      exceptions: opts.exceptions ?? [],
      ...(opts.rbac ? { rbac: opts.rbac } : {}),
    }),
    settings: { ...defaultSettings, ...opts.settings },
    evidence: opts.evidence,
    now: opts.now ?? new Date("2026-06-01T00:00:00Z"),
    horizon: new Horizon(),
  };
}

/** Wraps a pod spec in each workload kind, so a rule can be checked through every template path. */
export function inEveryKind(
  podSpec: Record<string, unknown>,
  podMeta: Record<string, unknown> = {},
): { kind: string; object: Record<string, unknown>; specPath: string }[] {
  const template = { metadata: { labels: { app: "x" }, ...podMeta }, spec: podSpec };
  const meta = { name: "x", namespace: "team-a" };
  const controllers = [
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
  ];
  return [
    {
      kind: "Pod",
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { ...meta, ...template.metadata },
        spec: podSpec,
      },
      specPath: "spec",
    },
    ...controllers.map((kind) => ({
      kind,
      object: { apiVersion: "apps/v1", kind, metadata: meta, spec: { template } },
      specPath: "spec.template.spec",
    })),
    {
      kind: "CronJob",
      object: {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: meta,
        spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } },
      },
      specPath: "spec.jobTemplate.spec.template.spec",
    },
  ];
}
