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

const fqdns = (...names: string[]) => names.map((matchName) => ({ matchName }));
const toFqdn = (toFQDNs: unknown[], ports = ["443"]) => ({
  toFQDNs,
  toPorts: [{ ports: ports.map((port) => ({ port, protocol: "TCP" })) }],
});
const denyAll = { action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] };
const https = [{ tcp: { destinationPort: { number: 443 } } }];

/**
 * Objects of every shape the engine reads: parseEgressPolicy reads each, and a real kube-apiserver
 * with the published CRDs admits each (test/e2e/fqdn-policies.test.ts).
 */
export const VALID_FQDN_POLICIES: [string, Record<string, unknown>][] = [
  [
    "hosts and DNS",
    ciliumPolicy("hosts", { egress: [DNS_EGRESS, toFqdn(fqdns("api.github.com"))] }),
  ],
  [
    "a pattern",
    ciliumPolicy("pattern", { egress: [toFqdn([{ matchPattern: "*.googleapis.com" }])] }),
  ],
  ["every host", ciliumPolicy("every-host", { egress: [toFqdn([{ matchPattern: "*" }])] })],
  ["entities", ciliumPolicy("entities", { egress: [{ toEntities: ["world", "kube-apiserver"] }] })],
  [
    "ports only",
    ciliumPolicy("ports-only", { egress: [{ toPorts: [{ ports: [{ port: "443" }] }] }] }),
  ],
  [
    "CIDRs",
    ciliumPolicy("cidrs", {
      egress: [
        { toCIDR: ["0.0.0.0/0"], toCIDRSet: [{ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }] },
      ],
    }),
  ],
  [
    "default deny off",
    ciliumPolicy("no-default-deny", {
      egress: [toFqdn(fqdns("api.github.com"))],
      enableDefaultDeny: { egress: false },
    }),
  ],
  [
    "several rules",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "specs", namespace: "team-a" },
      specs: [
        { endpointSelector: { matchLabels: { app: "fetch" } }, egress: [DNS_EGRESS] },
        {
          endpointSelector: { matchLabels: { app: "other" } },
          egress: [toFqdn(fqdns("a.example"))],
        },
      ],
    },
  ],
  [
    "clusterwide",
    ciliumPolicy(
      "clusterwide",
      { egress: [DNS_EGRESS, toFqdn(fqdns("api.github.com"))] },
      { "k8s:io.kubernetes.pod.namespace": "team-a", app: "fetch" },
      undefined,
    ),
  ],
  [
    "ClusterNetworkPolicy: accept declared names, deny the rest",
    clusterPolicy("accept-names", {
      egress: [
        {
          action: "Accept",
          to: [{ domainNames: ["api.github.com", "*.googleapis.com"] }],
          protocols: https,
        },
        denyAll,
      ],
    }),
  ],
  [
    "ClusterNetworkPolicy: pass, pods and namespaces",
    clusterPolicy("pass", {
      egress: [
        {
          action: "Pass",
          to: [
            { namespaces: { matchLabels: { "kubernetes.io/metadata.name": "data" } } },
            { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "db" } } } },
          ],
        },
        { action: "Accept", to: [{ networks: ["0.0.0.0/0"] }] },
      ],
    }),
  ],
  // The API server admits these although the CRDs say otherwise (a root CEL rule asking for spec
  // or specs, the tier enum): they are state, and select nothing or judge like the others.
  [
    "no spec nor specs",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "empty", namespace: "team-a" },
    },
  ],
  ["a tier the CRD does not list", clusterPolicy("other-tier", { tier: "Middle" })],
];

/** Objects the CRDs refuse, with the field that says why. */
export const INVALID_FQDN_POLICIES: [string, Record<string, unknown>, string][] = [
  [
    "a malformed CIDR",
    ciliumPolicy("x", { egress: [{ toCIDR: ["10.0.0.0/33"] }] }),
    "spec.egress[0].toCIDR[0]",
  ],
  ["a priority above 1000", clusterPolicy("x", { priority: 1001 }), "spec.priority"],
  [
    "a peer of two kinds",
    clusterPolicy("x", {
      egress: [
        { action: "Accept", to: [{ domainNames: ["a.example"], networks: ["10.0.0.0/8"] }] },
      ],
    }),
    "spec.egress[0].to[0]",
  ],
  [
    "matchName with a space",
    ciliumPolicy("x", { egress: [toFqdn([{ matchName: "a b.example" }])] }),
    "spec.egress[0].toFQDNs[0].matchName",
  ],
  [
    "matchName and matchPattern together",
    ciliumPolicy("x", {
      egress: [toFqdn([{ matchName: "a.example", matchPattern: "*.example" }])],
    }),
    "spec.egress[0].toFQDNs[0]",
  ],
  [
    "no endpointSelector nor nodeSelector",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "x" },
      spec: { egress: [] },
    },
    "spec.endpointSelector",
  ],
  [
    "a protocol the CRD does not list",
    ciliumPolicy("x", {
      egress: [
        {
          toFQDNs: fqdns("a.example"),
          toPorts: [{ ports: [{ port: "443", protocol: "HTTP" }] }],
        },
      ],
    }),
    "spec.egress[0].toPorts[0].ports[0].protocol",
  ],
  [
    "a domain name pattern in the middle",
    clusterPolicy("x", {
      egress: [{ action: "Accept", to: [{ domainNames: ["a.*.example"] }] }],
    }),
    "spec.egress[0].to[0].domainNames[0]",
  ],
];
