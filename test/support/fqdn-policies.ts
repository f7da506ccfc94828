import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("../../", import.meta.url);

/**
 * The directory of the Cilium and ClusterNetworkPolicy CRDs, from the environment
 * (MCP_WARDEN_NETWORK_CRDS) or the cache scripts/fetch-network-crds.sh fills; undefined when
 * neither has them.
 */
export function networkCrdDir(): string | undefined {
  const fromEnv = process.env.MCP_WARDEN_NETWORK_CRDS;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  try {
    // Prints the cached directory at once when it is there; fetches it otherwise.
    const dir = execFileSync(new URL("scripts/fetch-network-crds.sh", root).pathname, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 120_000,
    }).trim();
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** DNS through kube-dns, with the L7 DNS rule Cilium needs to learn the names' addresses. */
export const DNS_EGRESS = {
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
};

/**
 * A CiliumNetworkPolicy in `namespace` selecting `labels`; without a namespace, a
 * CiliumClusterwideNetworkPolicy.
 */
export function ciliumPolicy(
  name: string,
  spec: Record<string, unknown>,
  labels: Record<string, string> = { app: "fetch" },
  namespace: string | undefined = "team-a",
): Record<string, unknown> {
  return {
    apiVersion: "cilium.io/v2",
    kind: namespace === undefined ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy",
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    spec: { endpointSelector: { matchLabels: labels }, ...spec },
  };
}

/** An Admin-tier ClusterNetworkPolicy for the pods of `namespace` labelled app=fetch. */
export function clusterPolicy(
  name: string,
  spec: Record<string, unknown>,
  namespace = "team-a",
): Record<string, unknown> {
  return {
    apiVersion: "policy.networking.k8s.io/v1alpha2",
    kind: "ClusterNetworkPolicy",
    metadata: { name },
    spec: {
      tier: "Admin",
      priority: 10,
      subject: {
        pods: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
          podSelector: { matchLabels: { app: "fetch" } },
        },
      },
      ...spec,
    },
  };
}
