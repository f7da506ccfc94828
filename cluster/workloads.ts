import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { isWorkloadKind, type WorkloadKind } from "../policies/workload/workload.ts";
import { collectionPath, listAll } from "./api.ts";

/** Every kind the engine judges, where the API server serves it. */
const WORKLOAD_RESOURCES: readonly (readonly [apiVersion: string, plural: string, WorkloadKind])[] =
  [
    ["apps/v1", "deployments", "Deployment"],
    ["apps/v1", "statefulsets", "StatefulSet"],
    ["apps/v1", "daemonsets", "DaemonSet"],
    ["apps/v1", "replicasets", "ReplicaSet"],
    ["batch/v1", "cronjobs", "CronJob"],
    ["batch/v1", "jobs", "Job"],
    ["v1", "replicationcontrollers", "ReplicationController"],
    ["v1", "pods", "Pod"],
  ];

/**
 * Whether a controller of a judged kind owns the object (a Deployment its ReplicaSets, a CronJob
 * its Jobs, any of them their Pods): the owner's template is judged instead, once. A Pod an
 * operator of some other kind controls is judged itself, since nothing else judges it.
 */
export function ownedByJudgedController(o: KubernetesObject): boolean {
  return (o.metadata?.ownerReferences ?? []).some(
    (ref) => ref.controller === true && isWorkloadKind(ref.kind),
  );
}

/**
 * The workloads running now, in the given namespaces (or all), without those a judged controller
 * owns: one list call per kind (and namespace).
 * @throws ClusterError when a list fails
 */
export async function listWorkloads(
  kc: KubeConfig,
  namespaces: readonly string[] | undefined,
): Promise<KubernetesObject[]> {
  const scopes = namespaces ?? [undefined];
  const lists = await Promise.all(
    WORKLOAD_RESOURCES.flatMap(([apiVersion, plural, kind]) =>
      scopes.map((ns) => listAll(kc, collectionPath(apiVersion, plural, ns), apiVersion, kind)),
    ),
  );
  return lists.flat().filter((o) => !ownedByJudgedController(o));
}
