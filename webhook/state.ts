import type { ClusterState } from "../policies/workload/cluster-state.ts";
import { createClusterState } from "../policies/workload/cluster-state.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import type { RbacObject } from "../policies/workload/rbac.ts";

/** What the webhook judges with at one moment. */
export interface StateSnapshot {
  policy: CompiledPolicy | undefined;
  /** Why no valid policy is loaded, when none is. */
  policyError?: string | undefined;
  cluster: ClusterState;
  /** Roles and bindings as watched, for judging a binding against the rest; none without a cluster. */
  rbac?: readonly RbacObject[];
  /** The namespaces the webhook judges (opted in, not excluded); none without a cluster. */
  judgedNamespaces?: readonly string[];
  ready: boolean;
  /** Why the webhook is not ready (shown by /readyz). */
  notReady?: string | undefined;
  /** Per watched resource: synced, and for how long it has been failing (0 when healthy). */
  watches: { resource: string; synced: boolean; failingForMs: number }[];
}

export interface StateSource {
  snapshot(now: Date): StateSnapshot;
  close(): Promise<void>;
}

/** A fixed policy and no cluster: `serve` without a kubeconfig, outside a cluster. */
export function staticState(policy: CompiledPolicy): StateSource {
  const cluster = createClusterState({});
  return {
    snapshot: () => ({ policy, cluster, ready: true, watches: [] }),
    close: () => Promise.resolve(),
  };
}
