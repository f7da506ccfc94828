import type { NetworkPolicyPeer } from "../workload/k8s-types.ts";
import type { DeclaredPermissions, EgressEndpoint, IngressAgent } from "../evaluation/predicate.ts";
import type { EgressRule, IngressRule, PortRule } from "./kubernetes-objects.ts";

/**
 * The NetworkPolicy rules for what a server declares, each with the comment that says which
 * declaration it comes from. What the default policy shapes here: `network/egress-restricted`
 * denies any egress rule without `to` (it would allow every destination), and an empty `from`
 * would admit everyone, so declarations no rule can express safely get none and are reported.
 */

export interface Commented<T> {
  rule: T;
  comment: string;
}

export interface EgressRules {
  rules: Commented<EgressRule>[];
  /** Endpoints declared by host name only: no NetworkPolicy rule can allow them. */
  unexpressed: EgressEndpoint[];
}

export interface IngressRules {
  rules: Commented<IngressRule>[];
  /** Agents declared without namespace, labels or CIDRs: nothing can select them. */
  unselectable: string[];
}

const NAMESPACE_LABEL = "kubernetes.io/metadata.name";

/** Each port once, in order. */
export function sortedPorts(ports: readonly number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}

function tcpPorts(ports: readonly number[]): PortRule[] {
  return sortedPorts(ports).map((port) => ({ port, protocol: "TCP" }));
}

/** DNS through the cluster's kube-dns pods, then one rule per endpoint declared with addresses. */
export function egressRules(endpoints: readonly EgressEndpoint[]): EgressRules {
  const rules: Commented<EgressRule>[] = [
    {
      comment: "DNS, through the cluster's kube-dns pods",
      rule: {
        to: [
          {
            namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { port: 53, protocol: "UDP" },
          { port: 53, protocol: "TCP" },
        ],
      },
    },
  ];
  const unexpressed: EgressEndpoint[] = [];
  for (const endpoint of endpoints) {
    const cidrs = [...new Set(endpoint.cidrs ?? [])];
    if (cidrs.length === 0) {
      unexpressed.push(endpoint);
      continue;
    }
    const rule: EgressRule = {
      to: cidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ...(endpoint.ports === undefined ? {} : { ports: tcpPorts(endpoint.ports) }),
    };
    const what =
      endpoint.host === undefined ? "declared endpoint" : `declared endpoint ${endpoint.host}`;
    const ports = endpoint.ports === undefined ? ", any port" : "";
    rules.push({ rule, comment: `${what} (${cidrs.join(", ")}${ports})` });
  }
  return { rules, unexpressed };
}

/** One rule per declared agent that can be selected, on the declared ports; none without ports. */
export function ingressRules(permissions: DeclaredPermissions | undefined): IngressRules {
  const rules: Commented<IngressRule>[] = [];
  const unselectable: string[] = [];
  const ports = permissions?.ingress.ports;
  // A server without ports is reached over stdio only: nothing may connect to it.
  if (permissions === undefined || ports === undefined) return { rules, unselectable };
  for (const agent of permissions.ingress.agents) {
    const from = agentPeers(agent);
    if (from.length === 0) {
      // Neither namespace, labels nor addresses: an empty `from` would admit everyone.
      unselectable.push(agent.name);
      continue;
    }
    const where = agent.namespace === undefined ? "" : ` in namespace ${agent.namespace}`;
    rules.push({ rule: { from, ports: tcpPorts(ports) }, comment: `agent ${agent.name}${where}` });
  }
  return { rules, unselectable };
}

function agentPeers(agent: IngressAgent): NetworkPolicyPeer[] {
  const peers: NetworkPolicyPeer[] = [];
  const labels = agent.labels === undefined ? {} : sortedRecord(agent.labels);
  if (agent.namespace !== undefined || Object.keys(labels).length > 0)
    peers.push({
      ...(agent.namespace === undefined
        ? {}
        : { namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: agent.namespace } } }),
      ...(Object.keys(labels).length === 0 ? {} : { podSelector: { matchLabels: labels } }),
    });
  for (const cidr of new Set(agent.cidrs ?? [])) peers.push({ ipBlock: { cidr } });
  return peers;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
