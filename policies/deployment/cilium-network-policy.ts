import type { EgressEndpoint } from "../evaluation/predicate.ts";
import type { KubernetesObject } from "./kubernetes-objects.ts";
import type { Commented } from "./network-policy-rules.ts";
import { sortedPorts } from "./network-policy-rules.ts";

/**
 * The CiliumNetworkPolicy (cilium.io/v2) that lets a server reach the hosts it declares by name,
 * which a Kubernetes NetworkPolicy cannot express: `toFQDNs` with a `matchName` per host (a
 * `matchPattern` for a declared `*.` wildcard) on the declared ports, and DNS to kube-dns with
 * the L7 `rules.dns` rule through which Cilium learns the addresses those names resolve to. It
 * makes the pod's egress default-deny as the NetworkPolicy does, and adds to what it allows.
 */

export interface CiliumEgressRule {
  toEndpoints?: { matchLabels: Record<string, string> }[];
  toFQDNs?: ({ matchName: string } | { matchPattern: string })[];
  toPorts?: {
    ports: { port: string; protocol: "TCP" | "UDP" }[];
    rules?: { dns: { matchPattern: string }[] };
  }[];
}

export interface CiliumNetworkPolicy extends KubernetesObject {
  apiVersion: "cilium.io/v2";
  kind: "CiliumNetworkPolicy";
  spec: {
    endpointSelector: { matchLabels: Record<string, string> };
    egress: CiliumEgressRule[];
  };
}

/** DNS through kube-dns; the `rules.dns` rule sends lookups through Cilium's DNS proxy. */
const DNS_RULE: Commented<CiliumEgressRule> = {
  comment: "DNS through kube-dns, seen by Cilium's DNS proxy so that toFQDNs can follow the names",
  rule: {
    toEndpoints: [
      {
        matchLabels: {
          "k8s:io.kubernetes.pod.namespace": "kube-system",
          "k8s:k8s-app": "kube-dns",
        },
      },
    ],
    toPorts: [
      {
        ports: [
          { port: "53", protocol: "UDP" },
          { port: "53", protocol: "TCP" },
        ],
        rules: { dns: [{ matchPattern: "*" }] },
      },
    ],
  },
};

/** The declared endpoints that name a host, each once per port set, in order. */
function hostRules(endpoints: readonly EgressEndpoint[]): Commented<CiliumEgressRule>[] {
  const byPorts = new Map<string, { ports: number[] | undefined; hosts: string[] }>();
  for (const e of endpoints) {
    if (e.host === undefined || e.internet === true) continue;
    const ports = e.ports === undefined ? undefined : sortedPorts(e.ports);
    const key = ports === undefined ? "any" : ports.join(",");
    const entry = byPorts.get(key) ?? { ports, hosts: [] };
    if (!entry.hosts.includes(e.host)) entry.hosts.push(e.host);
    byPorts.set(key, entry);
  }
  return [...byPorts.values()].map(({ ports, hosts }) => ({
    comment: `declared host${hosts.length === 1 ? "" : "s"} ${hosts.join(", ")}${ports === undefined ? ", any port" : ""}`,
    rule: {
      toFQDNs: hosts.map((h) => (h.startsWith("*.") ? { matchPattern: h } : { matchName: h })),
      ...(ports === undefined
        ? {}
        : {
            toPorts: [{ ports: ports.map((p) => ({ port: String(p), protocol: "TCP" as const })) }],
          }),
    },
  }));
}

/** Whether the server declares any host the CiliumNetworkPolicy would allow. */
export function declaresHosts(endpoints: readonly EgressEndpoint[]): boolean {
  return hostRules(endpoints).length > 0;
}

/**
 * The CiliumNetworkPolicy for the declared hosts, with a comment per rule saying which
 * declaration it comes from.
 */
export function ciliumNetworkPolicy(
  metadata: KubernetesObject["metadata"],
  podLabels: Record<string, string>,
  endpoints: readonly EgressEndpoint[],
): { object: CiliumNetworkPolicy; comments: { path: (string | number)[]; text: string }[] } {
  const rules = [DNS_RULE, ...hostRules(endpoints)];
  return {
    object: {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata,
      spec: {
        endpointSelector: { matchLabels: { ...podLabels } },
        egress: rules.map((r) => r.rule),
      },
    },
    comments: rules.map((r, i) => ({ path: ["spec", "egress", i], text: r.comment })),
  };
}
