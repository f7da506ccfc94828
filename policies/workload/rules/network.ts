import { fieldPath } from "../../field-path.ts";
import {
  blockAddresses,
  classifyReach,
  mergeRanges,
  type AddressRange,
  type Reach,
} from "../cidr.ts";
import type { EgressAllowance, EgressPolicy } from "../fqdn-policy.ts";
import type { NetworkPolicy, NetworkPolicyPeer } from "../k8s-types.ts";
import { NAMESPACE_NAME_LABEL, selectorIsUnbounded } from "../label-selector.ts";
import { verifiedGatewayRegistryPort } from "../gateway-contract.ts";
import { imageReferences } from "./image.ts";
import {
  yamlExample,
  type Explanation,
  type Finding,
  type Rule,
  type RuleContext,
} from "../rule.ts";

type Direction = "Ingress" | "Egress";

/** policyTypes as the API server defaults them: Ingress always, Egress when egress rules exist. */
export function effectivePolicyTypes(np: NetworkPolicy): readonly string[] {
  if (np.spec.policyTypes && np.spec.policyTypes.length > 0) return np.spec.policyTypes;
  return np.spec.egress && np.spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

/** Per workload judged and the cluster it was judged in: several rules ask within one judgement. */
const selectingOf = new WeakMap<
  RuleContext["workload"],
  { cluster: RuleContext["cluster"]; policies: readonly NetworkPolicy[] }
>();

export function selectingPolicies(ctx: RuleContext): readonly NetworkPolicy[] {
  const known = selectingOf.get(ctx.workload);
  if (known?.cluster === ctx.cluster) return known.policies;
  const labels = ctx.workload.podMeta.labels ?? {};
  const policies = ctx.cluster.networkPoliciesSelecting(ctx.workload.namespace, labels);
  selectingOf.set(ctx.workload, { cluster: ctx.cluster, policies });
  return policies;
}

/** A FQDN-capable egress policy that selects the pod, and what of it applies to the pod. */
export interface ApplyingEgressPolicy {
  policy: EgressPolicy;
  /** `CiliumNetworkPolicy team-a/x`, `ClusterNetworkPolicy x`. */
  name: string;
  isolates: boolean;
  egress: EgressAllowance[];
}

export function applyingEgressPolicies(ctx: RuleContext): ApplyingEgressPolicy[] {
  const labels = ctx.workload.podMeta.labels ?? {};
  const ns = ctx.workload.namespace;
  // The namespace's labels where the edge knows them (the webhook's watch, Namespace inputs).
  const nsLabels = ctx.cluster.namespaces?.labelsOf(ns);
  return (ctx.cluster.egressPolicies ?? [])
    .filter((p) => p.selects(ns, labels, nsLabels))
    .map((policy) => ({
      policy,
      name: `${policy.kind} ${policy.metadata.namespace ? `${policy.metadata.namespace}/` : ""}${policy.metadata.name}`,
      ...policy.egressFor(ns, labels, nsLabels),
    }));
}

/** A host pattern every name matches: `*`, or only wildcard labels. */
export function everyHost(pattern: string): boolean {
  return pattern.split(".").every((label) => /^\*+$/.test(label));
}

/** Why one allowance of a FQDN-capable policy opens the pod to every destination, or undefined. */
function fqdnOpening(ctx: RuleContext, allowance: EgressAllowance): string | undefined {
  for (const peer of allowance.peers) {
    if (peer.kind === "all") return `every destination: ${peer.why}`;
    if (peer.kind === "fqdn" && peer.pattern && everyHost(peer.name))
      return `every host name: pattern ${JSON.stringify(peer.name)} matches them all`;
    if (peer.kind === "pods" && peer.namespaces === undefined && selectorIsUnbounded(peer.selector))
      return "every pod of every namespace";
  }
  const blocks = allowance.peers.flatMap((p) =>
    p.kind === "cidr"
      ? [{ ipBlock: { cidr: p.cidr, ...(p.except ? { except: p.except } : {}) } }]
      : [],
  );
  const reach = blocks.length > 0 ? peersReach(blocks) : undefined;
  if (reach?.kind === "internet") {
    const denials = internetEgressDenials(ctx, allowance.ports);
    return denials.length > 0
      ? `internet egress (${cidrs(blocks)}: every public address), which is not admitted: ${denials.join("; ")}`
      : undefined;
  }
  return blocks.length > 0 ? openingReason(blocks, "to", "destination") : undefined;
}

/** What one rule's ipBlocks allow, and how far that reaches; `id` names the rule in a union's key. */
interface PeersFacts {
  id: number;
  addresses: AddressRange[];
  reach: Reach | undefined;
}

/**
 * Computed once per parsed NetworkPolicy rule: the policies are parsed once and judged for every
 * pod, and the CIDR arithmetic was most of what the network rules cost per pod.
 */
const factsOfPeers = new WeakMap<readonly NetworkPolicyPeer[], PeersFacts>();
let nextPeersId = 0;

function peersFacts(peers: readonly NetworkPolicyPeer[]): PeersFacts {
  const known = factsOfPeers.get(peers);
  if (known) return known;
  const blocks = peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
  const addresses = blockAddresses(blocks);
  const facts = { id: nextPeersId++, addresses, reach: classifyReach(addresses) };
  factsOfPeers.set(peers, facts);
  return facts;
}

/** How far the ipBlocks of one rule reach, whatever notation or union they are written in. */
export function peersReach(peers: readonly NetworkPolicyPeer[]): Reach | undefined {
  return peersFacts(peers).reach;
}

/** Unions of several rules judged before, by the ids of their rules; bounded. */
const reachOfUnion = new Map<string, Reach | undefined>();
const MAX_UNIONS = 4096;

/** How far several rules reach together: rules and policies are additive. */
function unionReach(rules: readonly (readonly NetworkPolicyPeer[])[]): Reach | undefined {
  const parts = rules.map(peersFacts).filter((f) => f.addresses.length > 0);
  if (parts.length <= 1) return parts[0]?.reach;
  const key = parts.map((f) => f.id).join(",");
  if (reachOfUnion.has(key)) return reachOfUnion.get(key);
  const reach = classifyReach(mergeRanges(parts.flatMap((f) => f.addresses)));
  if (reachOfUnion.size >= MAX_UNIONS) reachOfUnion.clear();
  reachOfUnion.set(key, reach);
  return reach;
}

const reachOfPeer = new WeakMap<NetworkPolicyPeer, { reach: Reach | undefined }>();

/** How far one peer's ipBlock reaches, once per parsed peer. */
export function peerReach(peer: NetworkPolicyPeer): Reach | undefined {
  const known = reachOfPeer.get(peer);
  if (known) return known.reach;
  const reach = peer.ipBlock ? classifyReach(blockAddresses([peer.ipBlock])) : undefined;
  reachOfPeer.set(peer, { reach });
  return reach;
}

function cidrs(peers: readonly NetworkPolicyPeer[]): string {
  return peers.flatMap((p) => (p.ipBlock ? [p.ipBlock.cidr] : [])).join(", ");
}

/**
 * A peer that selects every pod of every namespace: a namespaceSelector that every namespace
 * passes, and no podSelector that narrows it.
 */
function everyPodPeer(peer: NetworkPolicyPeer): boolean {
  return (
    peer.ipBlock === undefined &&
    peer.namespaceSelector !== undefined &&
    selectorIsUnbounded(peer.namespaceSelector, [NAMESPACE_NAME_LABEL]) &&
    selectorIsUnbounded(peer.podSelector)
  );
}

/** Why one rule of a policy lets every peer through, or undefined when it does not. */
function openingReason(
  peers: NetworkPolicyPeer[] | undefined,
  field: "to" | "from",
  noun: string,
): string | undefined {
  if (!peers || peers.length === 0)
    return `every ${noun}: ${field} is empty, which allows every peer`;
  const open = peers.findIndex(everyPodPeer);
  if (open >= 0) {
    const peer = peers[open]!;
    return `every pod of every namespace: ${field}[${open}] has namespaceSelector ${JSON.stringify(peer.namespaceSelector)}, which every namespace passes, and ${peer.podSelector === undefined ? "no podSelector" : `podSelector ${JSON.stringify(peer.podSelector)}, which every pod passes`}`;
  }
  const reach = peersReach(peers);
  if (!reach) return undefined;
  const blocks = `ipBlock ${cidrs(peers)}`;
  switch (reach.kind) {
    case "every-address":
      return `every ${noun}: ${blocks} allows every IPv${reach.family} address`;
    case "public-and-internal":
      return `every public ${noun} and internal ranges: ${blocks} does not except ${reach.reaches.join(", ")}`;
    case "internet":
      return `every public ${noun} (internet): ${blocks} excepts only private, loopback, link-local and multicast ranges`;
  }
}

/** The ports a rule allows, or why they cannot be listed (every port, a named port). */
export function rulePorts(ports: unknown[] | undefined): number[] | string {
  if (!ports || ports.length === 0) return "every port";
  const out = new Set<number>();
  for (const entry of ports) {
    const { port, endPort } = (entry ?? {}) as { port?: unknown; endPort?: unknown };
    if (port === undefined) return "every port";
    if (typeof port !== "number") return `named port ${JSON.stringify(port)}`;
    const last = typeof endPort === "number" && endPort > port ? endPort : port;
    for (let p = port; p <= last; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

function portList(ports: readonly number[]): string {
  return `port${ports.length === 1 ? "" : "s"} ${ports.join(", ")}`;
}

/**
 * The internet egress ports the pod's images' signed evaluations declare, from the newest verified
 * evaluation of each image that declares permissions; undefined when none declares permissions.
 */
function declaredInternetPorts(ctx: RuleContext): Set<number> | undefined {
  let declared: Set<number> | undefined;
  for (const reference of imageReferences(ctx.workload)) {
    const newest = (ctx.evidence?.forImage(reference)?.verifiedEvaluations ?? [])
      .filter((e) => e.internetEgressPorts !== undefined)
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
    if (newest?.internetEgressPorts) {
      declared = new Set([...(declared ?? []), ...newest.internetEgressPorts]);
    }
  }
  return declared;
}

/**
 * Why internet egress on these ports is not admitted; empty when the policy allows internet
 * egress and the server's signed evaluation declares it on every one of the ports.
 */
function internetEgressDenials(ctx: RuleContext, ports: number[] | string): string[] {
  // The policy's own gateway verifies its server image in the registry at start: that port is
  // its need, admitted as the policy admitted its image (spec.runtime.gateway.image).
  const registry = verifiedGatewayRegistryPort(ctx.workload, ctx.settings.runtime?.gatewayImage);
  if (registry !== undefined && typeof ports !== "string" && ports.every((p) => p === registry))
    return [];
  const reasons: string[] = [];
  if (typeof ports === "string") {
    reasons.push(`it allows ${ports}: limit it to the ports the server declares`);
  }
  if (ctx.settings.internetEgress !== "allow") {
    reasons.push("the policy does not allow internet egress (spec.network.internetEgress: deny)");
  }
  if (ctx.evidence === undefined) {
    reasons.push(
      "no signed evaluation is at hand to show the server declares it: run with --verify-images, or add an exception for network/egress-restricted",
    );
  } else {
    const declared = declaredInternetPorts(ctx);
    if (declared === undefined || declared.size === 0) {
      reasons.push(
        'the server\'s signed evaluation does not declare internet egress (permissions.egress {"internet": true, "ports": [...]})',
      );
    } else if (typeof ports !== "string") {
      const extra = ports.filter((p) => !declared.has(p));
      if (extra.length > 0) {
        reasons.push(
          `the server's signed evaluation declares internet egress on ${portList([...declared].sort((a, b) => a - b))} only, not ${extra.join(", ")}`,
        );
      }
    }
  }
  return reasons;
}

function directionRule(id: string, direction: Direction, explain: Explanation): Rule {
  const rulesField = direction === "Egress" ? "egress" : "ingress";
  const peersField = direction === "Egress" ? "to" : "from";
  const noun = direction === "Egress" ? "destination" : "source";
  return {
    id,
    title: `A NetworkPolicy restricts ${rulesField} and none allows every ${noun}.`,
    explain,
    check(ctx) {
      const path = fieldPath(ctx.workload.metaPath, "labels");
      if (ctx.workload.podSpec.hostNetwork === true) {
        return [
          {
            rule: id,
            message: `the pod uses the node's network (hostNetwork: true), which NetworkPolicies do not isolate: its ${rulesField} cannot be restricted; remove hostNetwork`,
            path: fieldPath(ctx.workload.specPath, "hostNetwork"),
          },
        ];
      }
      const stale = ctx.cluster.unavailable?.networkPolicies;
      if (stale !== undefined) {
        return [{ rule: id, message: `cannot verify ${rulesField} isolation: ${stale}`, path }];
      }
      const selecting = selectingPolicies(ctx).filter((np) =>
        effectivePolicyTypes(np).includes(direction),
      );
      // Host-naming egress policies: Cilium's and ClusterNetworkPolicies add to NetworkPolicies.
      const fqdn = direction === "Egress" ? applyingEgressPolicies(ctx) : [];
      if (selecting.length === 0 && !fqdn.some((p) => p.isolates)) {
        return [
          {
            rule: id,
            message:
              direction === "Egress"
                ? `no NetworkPolicy in namespace ${ctx.workload.namespace} selects this pod with policyTypes Egress: add one that allows only the declared endpoints (or a CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or ClusterNetworkPolicy that makes its egress default-deny and allows only the declared hosts)`
                : `no NetworkPolicy in namespace ${ctx.workload.namespace} selects this pod with policyTypes ${direction}: add one that allows only the declared agents`,
            path,
          },
        ];
      }
      const findings: Finding[] = [];
      for (const p of fqdn) {
        for (const allowance of p.egress) {
          const reason = fqdnOpening(ctx, allowance);
          if (reason)
            findings.push({
              rule: id,
              message: `${p.name} ${allowance.path} opens the pod to ${reason}`,
              path,
            });
        }
      }
      for (const np of selecting) {
        const rules =
          direction === "Egress"
            ? (np.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }))
            : (np.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
        rules.forEach(({ peers, ports: rulePortList }, i) => {
          // Named only when a finding needs it: most rules of most pods yield none.
          const where = () =>
            `NetworkPolicy ${np.metadata.namespace ?? ctx.workload.namespace}/${np.metadata.name ?? ""} ${rulesField}[${i}]`;
          const reach = peers && peers.length > 0 ? peersReach(peers) : undefined;
          if (direction === "Egress" && reach?.kind === "internet") {
            const ports = rulePorts(rulePortList);
            const denials = internetEgressDenials(ctx, ports);
            if (denials.length > 0) {
              const on = typeof ports === "string" ? ports : portList(ports);
              findings.push({
                rule: id,
                message: `${where()} allows internet egress on ${on} (ipBlock ${cidrs(peers ?? [])}: every public address; private, loopback, link-local and multicast ranges excepted), which is not admitted: ${denials.join("; ")}`,
                path,
              });
            }
            return;
          }
          const reason = openingReason(peers, peersField, noun);
          if (reason) {
            findings.push({ rule: id, message: `${where()} opens the pod to ${reason}`, path });
          }
        });
      }
      // Rules and policies are additive: blocks that only together cover every address (0.0.0.0/1
      // in one rule, 128.0.0.0/1 in another) open the pod as much as one /0.
      if (findings.length === 0) {
        const rules = selecting.flatMap((np) =>
          (direction === "Egress" ? (np.spec.egress ?? []) : (np.spec.ingress ?? [])).map(
            (r, i) => ({
              np,
              i,
              peers: ("to" in r ? r.to : "from" in r ? r.from : undefined) ?? [],
            }),
          ),
        );
        const reach = unionReach(rules.map((r) => r.peers));
        if (reach?.kind === "every-address") {
          const used = rules
            .filter((r) => r.peers.some((p) => p.ipBlock))
            .map(
              ({ np, i }) =>
                `${np.metadata.namespace ?? ctx.workload.namespace}/${np.metadata.name ?? ""} ${rulesField}[${i}]`,
            );
          findings.push({
            rule: id,
            message: `NetworkPolicies ${[...new Set(used)].join(", ")} together open the pod to every ${noun}: ipBlock ${cidrs(rules.flatMap((r) => r.peers))} allow every IPv${reach.family} address`,
            path,
          });
        }
      }
      return findings;
    },
  };
}

export const networkRules: readonly Rule[] = [
  directionRule("network/egress-restricted", "Egress", {
    why: "Without egress isolation, a server that a prompt injection has turned can send whatever it reads (files, tokens, the conversation) anywhere on the internet, and reach the cluster's internal services and the cloud metadata endpoint. A rule with an empty to, or ipBlocks that together cover every address, is no isolation.",
    fix: "Add a NetworkPolicy in the pod's namespace whose podSelector matches the pod's labels, with policyTypes [Egress] and egress rules that allow only DNS and the endpoints the server declares, each with its ports. Internet egress (every public address: 0.0.0.0/0 except the private, loopback, link-local and multicast ranges) is admitted only when the policy sets spec.network.internetEgress: allow and the server's signed evaluation declares it on those ports; offline, check --verify-images looks the evaluation up. The mcp-warden Action writes such a NetworkPolicy from the manifest (kubernetes-manifests).",
    example: yamlExample`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: mcp-example
        namespace: mcp-servers
      spec:
        podSelector:
          matchLabels:
            app: mcp-example
        policyTypes: [Egress]
        egress:
          - to: # DNS
              - namespaceSelector:
                  matchLabels:
                    kubernetes.io/metadata.name: kube-system
                podSelector:
                  matchLabels:
                    k8s-app: kube-dns
            ports:
              - port: 53
                protocol: UDP
              - port: 53
                protocol: TCP
          - to: # the one endpoint the server declares
              - ipBlock:
                  cidr: 140.82.112.0/20
            ports:
              - port: 443
    `,
  }),
  directionRule("network/ingress-restricted", "Ingress", {
    why: "Without ingress isolation, every pod in the cluster (other MCP servers, any compromised workload) can call the server's tools, which act with the server's credentials and reach. A rule with an empty from, or ipBlocks that cover every address, is no isolation.",
    fix: "Add a NetworkPolicy in the pod's namespace whose podSelector matches the pod's labels, with policyTypes [Ingress] and ingress rules that admit only the agents that call the server (a namespaceSelector and podSelector each), on the server's port. The manifest's permissions.ingress.agents names them; the mcp-warden Action writes the NetworkPolicy from it.",
    example: yamlExample`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: mcp-example
        namespace: mcp-servers
      spec:
        podSelector:
          matchLabels:
            app: mcp-example
        policyTypes: [Ingress]
        ingress:
          - from: # only the research agent calls this server
              - namespaceSelector:
                  matchLabels:
                    kubernetes.io/metadata.name: agents
                podSelector:
                  matchLabels:
                    mcp-warden.dev/agent: research-agent
            ports:
              - port: 8080
    `,
  }),
];
