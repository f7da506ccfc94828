import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { createClusterState, type ClusterState } from "../policies/workload/cluster-state.ts";
import {
  EXCEPTION_API_VERSION,
  EXCEPTION_KIND,
  parseException,
  type Exception,
} from "../policies/workload/exception-schema.ts";
import {
  CONFIG_MAP_KIND,
  parseConfigMap,
  type ConfigMapObject,
} from "../policies/workload/config-map.ts";
import {
  CILIUM_API_VERSION,
  CLUSTER_NETWORK_POLICY_API_VERSION,
  parseEgressPolicy,
  type EgressPolicy,
} from "../policies/workload/fqdn-policy.ts";
import type { NetworkPolicy } from "../policies/workload/k8s-types.ts";
import { parseNetworkPolicy } from "../policies/workload/network-policy.ts";
import { isRecord } from "../policies/guards.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import { parseRbacObject, type RbacObject } from "../policies/workload/rbac.ts";
import { POLICY_KIND } from "../policies/workload/policy-schema.ts";
import {
  apiRequest,
  ClusterError,
  collectionPath,
  describeApiError,
  listAll,
  withKind,
} from "./api.ts";

// The cluster state the engine judges with (NetworkPolicies, RBAC, MCPWardenExceptions, and
// ConfigMaps where the edge reads them), read
// from the API server: once (`check --cluster`) or through watches (the webhook).

export const WARDEN_API_VERSION = EXCEPTION_API_VERSION;
export const RBAC_API_VERSION = "rbac.authorization.k8s.io/v1";
export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";

/** The RBAC kinds the rbac/* rules resolve a ServiceAccount's rights through, by plural. */
export const RBAC_RESOURCES = [
  ["roles", "Role"],
  ["clusterroles", "ClusterRole"],
  ["rolebindings", "RoleBinding"],
  ["clusterrolebindings", "ClusterRoleBinding"],
] as const;

/**
 * The egress policies that can name hosts, each served only where its CRD is installed: Cilium's
 * and the network-policy-api's ClusterNetworkPolicy. `crd` is the name of the CRD that serves it.
 */
export const EGRESS_POLICY_RESOURCES = [
  {
    apiVersion: CILIUM_API_VERSION,
    group: "cilium.io",
    version: "v2",
    plural: "ciliumnetworkpolicies",
    kind: "CiliumNetworkPolicy",
  },
  {
    apiVersion: CILIUM_API_VERSION,
    group: "cilium.io",
    version: "v2",
    plural: "ciliumclusterwidenetworkpolicies",
    kind: "CiliumClusterwideNetworkPolicy",
  },
  {
    apiVersion: CLUSTER_NETWORK_POLICY_API_VERSION,
    group: "policy.networking.k8s.io",
    version: "v1alpha2",
    plural: "clusternetworkpolicies",
    kind: "ClusterNetworkPolicy",
  },
].map((r) => ({ ...r, crd: `${r.plural}.${r.group}` }));

/** The opt-in of deploy/webhook.yaml's namespaceSelector, and the namespaces it never judges. */
export const ENFORCE_LABEL = "mcp-warden.dev/enforce";
export const NEVER_JUDGED: ReadonlySet<string> = new Set(["kube-system", "mcp-warden-system"]);

/** Objects as listed or watched, before validation. */
export interface RawState {
  networkPolicies: readonly KubernetesObject[];
  rbac: readonly (readonly [kind: string, objects: readonly KubernetesObject[]])[];
  exceptions: readonly KubernetesObject[];
  /** ConfigMaps, for the credentials a container reads from them; absent when not gathered. */
  configMaps?: readonly KubernetesObject[];
  /** Host-naming egress policies by kind (EGRESS_POLICY_RESOURCES), of the kinds served. */
  egressPolicies?: readonly (readonly [kind: string, objects: readonly KubernetesObject[]])[];
}

export interface ParsedState {
  networkPolicies: NetworkPolicy[];
  /** CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies and ClusterNetworkPolicies. */
  egressPolicies: EgressPolicy[];
  exceptions: Exception[];
  rbac: RbacObject[];
  configMaps: ConfigMapObject[];
  /** ConfigMaps that cannot be read: their keys are not judged, and the edge says so. */
  invalidConfigMaps: string[];
  /**
   * NetworkPolicies (and host-naming egress policies) that cannot be read. Skipping one could hide a policy that opens pods, so the
   * network rules deny instead.
   */
  invalidNetworkPolicies: string[];
  /**
   * RBAC objects that cannot be read. The API server admitted them, so this is our misreading: a
   * skipped binding could hide a grant, so the rbac rules deny and say why.
   */
  invalidRbac: string[];
  /** Exceptions that cannot be read: they grant nothing, and a workload asking is told it is missing. */
  invalidExceptions: string[];
}

const nameOf = (o: KubernetesObject) =>
  `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? ""}`;

/** Validates every object once, keeping what can be read and naming what cannot. */
export function parseState(raw: RawState): ParsedState {
  const out: ParsedState = {
    networkPolicies: [],
    egressPolicies: [],
    exceptions: [],
    rbac: [],
    configMaps: [],
    invalidConfigMaps: [],
    invalidNetworkPolicies: [],
    invalidRbac: [],
    invalidExceptions: [],
  };
  for (const o of raw.networkPolicies) {
    try {
      out.networkPolicies.push(
        parseNetworkPolicy(withKind(o, NETWORK_POLICY_API_VERSION, "NetworkPolicy")),
      );
    } catch (err) {
      out.invalidNetworkPolicies.push(
        `NetworkPolicy ${nameOf(o)} cannot be read: ${describeApiError(err)}`,
      );
    }
  }
  for (const [kind, objects] of raw.egressPolicies ?? []) {
    const apiVersion = EGRESS_POLICY_RESOURCES.find((r) => r.kind === kind)?.apiVersion ?? "";
    for (const o of objects) {
      try {
        out.egressPolicies.push(parseEgressPolicy(withKind(o, apiVersion, kind)));
      } catch (err) {
        out.invalidNetworkPolicies.push(
          `${kind} ${nameOf(o)} cannot be read: ${describeApiError(err)}`,
        );
      }
    }
  }
  for (const o of raw.exceptions) {
    try {
      out.exceptions.push(parseException(withKind(o, WARDEN_API_VERSION, EXCEPTION_KIND)));
    } catch (err) {
      out.invalidExceptions.push(
        `${EXCEPTION_KIND} ${nameOf(o)} cannot be read: ${describeApiError(err)}`,
      );
    }
  }
  for (const [kind, objects] of raw.rbac) {
    for (const o of objects) {
      try {
        out.rbac.push(parseRbacObject(withKind(o, RBAC_API_VERSION, kind)));
      } catch (err) {
        out.invalidRbac.push(`${kind} ${nameOf(o)} cannot be read: ${describeApiError(err)}`);
      }
    }
  }
  for (const o of raw.configMaps ?? []) {
    try {
      out.configMaps.push(parseConfigMap(withKind(o, "v1", CONFIG_MAP_KIND)));
    } catch (err) {
      out.invalidConfigMaps.push(`ConfigMap ${nameOf(o)} cannot be read: ${describeApiError(err)}`);
    }
  }
  return out;
}

/** The engine's view of parsed state: unreadable NetworkPolicies or RBAC make their rules deny. */
export function clusterStateOf(
  parsed: ParsedState,
  namespaces?: readonly { name: string; labels: Record<string, string> }[],
): ClusterState {
  const unavailable = {
    ...(parsed.invalidNetworkPolicies.length > 0
      ? { networkPolicies: parsed.invalidNetworkPolicies.join("; ") }
      : {}),
    ...(parsed.invalidRbac.length > 0 ? { rbac: parsed.invalidRbac.join("; ") } : {}),
  };
  return createClusterState({
    networkPolicies: parsed.networkPolicies,
    egressPolicies: parsed.egressPolicies,
    exceptions: parsed.exceptions,
    rbac: parsed.rbac,
    configMaps: parsed.configMaps,
    // Listed whole, so a namespace missing from them is one the rules cannot judge.
    ...(namespaces === undefined ? {} : { namespaces, namespacesComplete: true }),
    ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}),
  });
}

/** MCPWardenExceptions of one namespace; none when the CRD is not installed. */
async function listExceptions(kc: KubeConfig, namespace: string): Promise<KubernetesObject[]> {
  try {
    return await listAll(
      kc,
      collectionPath(WARDEN_API_VERSION, "mcpwardenexceptions", namespace),
      WARDEN_API_VERSION,
      EXCEPTION_KIND,
    );
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) return [];
    throw err;
  }
}

/**
 * Whether the API server serves this resource, from discovery (which every authenticated user may
 * read), so a kind that is not installed needs no permission to be found absent.
 */
async function served(kc: KubeConfig, apiVersion: string, plural: string): Promise<boolean> {
  try {
    const list = await apiRequest(kc, `/apis/${apiVersion}`);
    const resources = isRecord(list) && Array.isArray(list.resources) ? list.resources : [];
    return resources.some((r) => isRecord(r) && r.name === plural);
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) return false;
    throw err;
  }
}

/**
 * The host-naming egress policies of one kind; none when its CRD is not installed (the API server
 * does not serve the kind). Served but not readable is an error, not an absence.
 */
async function listEgressPolicies(
  kc: KubeConfig,
  resource: (typeof EGRESS_POLICY_RESOURCES)[number],
): Promise<readonly [string, KubernetesObject[]]> {
  if (!(await served(kc, resource.apiVersion, resource.plural))) return [resource.kind, []];
  return [
    resource.kind,
    await listAll(
      kc,
      collectionPath(resource.apiVersion, resource.plural),
      resource.apiVersion,
      resource.kind,
    ),
  ];
}

/**
 * The cluster state now, in one list call per resource: NetworkPolicies, RBAC and ConfigMaps in
 * every namespace, the host-naming egress policies of the kinds the cluster serves, MCPWardenExceptions only from the policy's exception namespaces (as the
 * webhook honours them).
 * @throws ClusterError when a list fails: judging without it would be guessing
 */
export async function readState(kc: KubeConfig, policy: CompiledPolicy): Promise<ParsedState> {
  const [networkPolicies, rbac, exceptions, configMaps, egressPolicies] = await Promise.all([
    listAll(
      kc,
      collectionPath(NETWORK_POLICY_API_VERSION, "networkpolicies"),
      NETWORK_POLICY_API_VERSION,
      "NetworkPolicy",
    ),
    Promise.all(
      RBAC_RESOURCES.map(
        async ([plural, kind]) =>
          [
            kind,
            await listAll(kc, collectionPath(RBAC_API_VERSION, plural), RBAC_API_VERSION, kind),
          ] as const,
      ),
    ),
    Promise.all(policy.exceptionNamespaces.map((ns) => listExceptions(kc, ns))),
    listAll(kc, collectionPath("v1", "configmaps"), "v1", CONFIG_MAP_KIND),
    Promise.all(EGRESS_POLICY_RESOURCES.map((r) => listEgressPolicies(kc, r))),
  ]);
  return parseState({
    networkPolicies,
    rbac,
    exceptions: exceptions.flat(),
    configMaps,
    egressPolicies,
  });
}

/**
 * The MCPWardenPolicy of this name, as the webhook (`serve --policy-name`) enforces it; undefined
 * when it does not exist or its CRD is not installed.
 * @throws ClusterError for any other failure
 */
export async function readPolicyObject(
  kc: KubeConfig,
  name: string,
): Promise<KubernetesObject | undefined> {
  try {
    const o = await apiRequest(
      kc,
      `${collectionPath(WARDEN_API_VERSION, "mcpwardenpolicies")}/${encodeURIComponent(name)}`,
    );
    return withKind(o as KubernetesObject, WARDEN_API_VERSION, POLICY_KIND);
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) return undefined;
    throw err;
  }
}

/** Every namespace, with its labels (runtime/gateway-required selects namespaces by them). */
export async function listNamespaces(
  kc: KubeConfig,
): Promise<{ name: string; labels: Record<string, string> }[]> {
  const list = await listAll(kc, "/api/v1/namespaces", "v1", "Namespace");
  return list
    .map((n) => ({ name: n.metadata?.name ?? "", labels: { ...(n.metadata?.labels ?? {}) } }))
    .filter((n) => n.name !== "");
}
