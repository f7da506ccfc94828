import type { ConfigMapObject } from "./config-map.ts";
import type { NetworkPolicy } from "./k8s-types.ts";
import type { Exception } from "./exception-schema.ts";
import type { EgressPolicy } from "./fqdn-policy.ts";
import { createRbacState, type RbacObject, type RbacState } from "./rbac.ts";

/** What the cluster holds besides the workload: NetworkPolicies, exceptions, RBAC and ConfigMaps, indexed. */
export interface ClusterState {
  networkPoliciesIn(namespace: string): readonly NetworkPolicy[];
  /**
   * CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies and ClusterNetworkPolicies: the
   * egress policies that can name hosts. Absent when the edge gathers none.
   */
  egressPolicies?: readonly EgressPolicy[];
  /** Every exception with this name, in any namespace. */
  exceptionsNamed(name: string): readonly Exception[];
  /** Roles, bindings and ServiceAccounts; absent when the edge gathers no RBAC. */
  rbac?: RbacState;
  /**
   * The ConfigMap a container's environment reads, when the edge gathered ConfigMaps and this one
   * is among them; undefined when it is not known here (its keys are then not judged).
   */
  configMap(namespace: string, name: string): ConfigMapObject | undefined;
  /**
   * Why part of the state cannot be trusted (a watch down for too long). Rules that depend on it
   * then deny and say why, rather than guess from stale data.
   */
  unavailable?: {
    networkPolicies?: string;
    exceptions?: string;
    rbac?: string;
    configMaps?: string;
  };
}

export function createClusterState(input: {
  networkPolicies?: readonly NetworkPolicy[];
  exceptions?: readonly Exception[];
  rbac?: readonly RbacObject[];
  configMaps?: readonly ConfigMapObject[];
  egressPolicies?: readonly EgressPolicy[];
  unavailable?: ClusterState["unavailable"];
}): ClusterState {
  const configMaps = new Map<string, ConfigMapObject>();
  for (const cm of input.configMaps ?? [])
    configMaps.set(`${cm.metadata.namespace}/${cm.metadata.name}`, cm);
  const byNamespace = new Map<string, NetworkPolicy[]>();
  for (const np of input.networkPolicies ?? []) {
    const ns = np.metadata.namespace || "default";
    const list = byNamespace.get(ns) ?? [];
    list.push(np);
    byNamespace.set(ns, list);
  }
  const byName = new Map<string, Exception[]>();
  for (const ex of input.exceptions ?? []) {
    const list = byName.get(ex.metadata.name) ?? [];
    list.push(ex);
    byName.set(ex.metadata.name, list);
  }
  return {
    networkPoliciesIn: (namespace) => byNamespace.get(namespace) ?? [],
    exceptionsNamed: (name) => byName.get(name) ?? [],
    configMap: (namespace, name) => configMaps.get(`${namespace}/${name}`),
    ...(input.rbac ? { rbac: createRbacState(input.rbac) } : {}),
    ...(input.egressPolicies ? { egressPolicies: input.egressPolicies } : {}),
    ...(input.unavailable ? { unavailable: input.unavailable } : {}),
  };
}
