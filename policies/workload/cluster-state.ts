import type { ConfigMapObject } from "./config-map.ts";
import { InputError } from "../errors.ts";
import { compileSchema } from "../schema-validator.ts";
import type { Labels, NetworkPolicy } from "./k8s-types.ts";
import { NAMESPACE_NAME_LABEL } from "./label-selector.ts";
import type { Exception } from "./exception-schema.ts";
import type { EgressPolicy } from "./fqdn-policy.ts";
import { selectorIndex } from "./selector-index.ts";
import { createRbacState, type RbacObject, type RbacState } from "./rbac.ts";

/** What the cluster holds besides the workload: NetworkPolicies, exceptions, RBAC and ConfigMaps, indexed. */
export interface ClusterState {
  networkPoliciesIn(namespace: string): readonly NetworkPolicy[];
  /** The namespace's NetworkPolicies whose podSelector selects a pod with these labels, in order. */
  networkPoliciesSelecting(namespace: string, labels: Labels): NetworkPolicy[];
  /**
   * CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies and ClusterNetworkPolicies: the
   * egress policies that can name hosts. Absent when the edge gathers none.
   */
  egressPolicies?: readonly EgressPolicy[];
  /** Every exception with this name, in any namespace. */
  exceptionsNamed(name: string): readonly Exception[];
  /**
   * The labels of the namespaces the edge knows, as the cluster holds them: `complete` when it
   * knows every namespace (the webhook's watch), not when it knows only those among its inputs
   * (`check`). Absent when the edge gathers none.
   */
  namespaces?: { labelsOf(name: string): Labels | undefined; complete: boolean };
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
    namespaces?: string;
  };
}

export function createClusterState(input: {
  networkPolicies?: readonly NetworkPolicy[];
  exceptions?: readonly Exception[];
  rbac?: readonly RbacObject[];
  configMaps?: readonly ConfigMapObject[];
  egressPolicies?: readonly EgressPolicy[];
  /** Namespaces with their labels; `namespacesComplete` when they are every namespace there is. */
  namespaces?: readonly { name: string; labels: Labels }[];
  namespacesComplete?: boolean;
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
  // Indexed once per state, not per request: a namespace may hold thousands of policies.
  const selecting = new Map(
    [...byNamespace].map(([ns, list]) => [ns, selectorIndex(list, (np) => np.spec.podSelector)]),
  );
  const byName = new Map<string, Exception[]>();
  for (const ex of input.exceptions ?? []) {
    const list = byName.get(ex.metadata.name) ?? [];
    list.push(ex);
    byName.set(ex.metadata.name, list);
  }
  return {
    networkPoliciesIn: (namespace) => byNamespace.get(namespace) ?? [],
    networkPoliciesSelecting: (namespace, labels) =>
      selecting.get(namespace)?.selecting(labels) ?? [],
    exceptionsNamed: (name) => byName.get(name) ?? [],
    configMap: (namespace, name) => configMaps.get(`${namespace}/${name}`),
    ...(input.rbac ? { rbac: createRbacState(input.rbac) } : {}),
    ...(input.egressPolicies ? { egressPolicies: input.egressPolicies } : {}),
    ...(input.namespaces
      ? { namespaces: namespaceIndex(input.namespaces, input.namespacesComplete === true) }
      : {}),
    ...(input.unavailable ? { unavailable: input.unavailable } : {}),
  };
}

function namespaceIndex(
  list: readonly { name: string; labels: Labels }[],
  complete: boolean,
): NonNullable<ClusterState["namespaces"]> {
  const byName = new Map(list.map((n) => [n.name, n.labels]));
  return { labelsOf: (name) => byName.get(name), complete };
}

const namespaceValidator = compileSchema<{ metadata: { name: string; labels?: Labels } }>({
  type: "object",
  required: ["kind", "metadata"],
  properties: {
    kind: { const: "Namespace" },
    metadata: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", minLength: 1 },
        labels: { type: "object", additionalProperties: { type: "string" } },
      },
    },
  },
});

/**
 * A Namespace document as cluster state: its name and labels, with the label the API server
 * sets on every namespace (`kubernetes.io/metadata.name`) as it would.
 * @throws InputError DOCUMENT_INVALID listing every bad field
 */
export function parseNamespace(object: unknown): { name: string; labels: Labels } {
  const problems = namespaceValidator.problems(object, "");
  if (problems.length > 0 || !namespaceValidator.is(object))
    throw new InputError("DOCUMENT_INVALID", "invalid Namespace", { problems });
  const { name, labels } = object.metadata;
  return { name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name } };
}
