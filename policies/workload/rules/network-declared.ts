import type { EgressEndpoint, IngressAgent } from "../../evaluation/predicate.ts";
import { fieldPath } from "../../field-path.ts";
import { blockAddresses, parseCidr, type AddressRange } from "../cidr.ts";
import type { NetworkPolicyPeer } from "../k8s-types.ts";
import { NAMESPACE_NAME_LABEL, selectorIsUnbounded } from "../label-selector.ts";
import { yamlExample, type Finding, type Rule, type RuleContext } from "../rule.ts";
import { gatewayCommand, gatewayPeerProblem } from "../gateway-contract.ts";
import { imageReferences } from "./image.ts";
import type { EgressPeer } from "../fqdn-policy.ts";
import {
  applyingEgressPolicies,
  effectivePolicyTypes,
  peerReach,
  rulePorts,
  selectingPolicies,
} from "./network.ts";

/** What the pod's images' signed evaluations declare about the network, together. */
export interface DeclaredNetwork {
  egress: EgressEndpoint[];
  /** Undefined: no port is declared, the server is reached over stdio only. */
  ingressPorts: number[] | undefined;
  agents: IngressAgent[];
  /**
   * The pod is a runtime gateway: what is declared is its server's (`--server-image`), agents in
   * on the gateway's own port; its egress (the API server, the registry, the server) is its own.
   */
  gateway?: boolean;
}

/**
 * The newest verified evaluation of each image that declares permissions, joined; undefined when
 * none does (image/evaluated then speaks).
 */
export function declaredNetwork(ctx: RuleContext): DeclaredNetwork | undefined {
  const newestOf = (reference: string) =>
    (ctx.evidence?.forImage(reference)?.verifiedEvaluations ?? [])
      .filter((e) => e.network !== undefined)
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0]?.network;
  const gateway = gatewayCommand(ctx.workload);
  if (gateway !== undefined) {
    const server = gateway.serverImage === undefined ? undefined : newestOf(gateway.serverImage);
    if (server === undefined) return undefined;
    return {
      egress: server.egress,
      ingressPorts: [gateway.port],
      agents: server.ingress.agents,
      gateway: true,
    };
  }
  let out: DeclaredNetwork | undefined;
  for (const reference of imageReferences(ctx.workload)) {
    const newest = newestOf(reference);
    if (!newest) continue;
    const ports = newest.ingress.ports;
    out = {
      egress: [...(out?.egress ?? []), ...newest.egress],
      ingressPorts:
        ports === undefined ? out?.ingressPorts : [...(out?.ingressPorts ?? []), ...ports],
      agents: [...(out?.agents ?? []), ...newest.ingress.agents],
    };
  }
  return out;
}

/** Whether the union of `cover` holds every address of `ranges`. */
export function rangesCovered(ranges: readonly AddressRange[], cover: readonly AddressRange[]) {
  const sorted = [...cover].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  return ranges.every((r) => {
    let next = r.lo;
    for (const c of sorted) {
      if (c.lo > next) break;
      if (c.hi >= next) next = c.hi + 1n;
      if (next > r.hi) return true;
    }
    return next > r.hi;
  });
}

function cidrRanges(cidrs: readonly string[]): AddressRange[] {
  return cidrs.flatMap((c) => {
    const r = parseCidr(c);
    return r ? [r] : [];
  });
}

/** Whether an endpoint's ports (absent: any) hold every port a rule allows. */
function portsCovered(declared: readonly number[] | undefined, ports: number[] | string) {
  if (declared === undefined) return true;
  return typeof ports !== "string" && ports.every((p) => declared.includes(p));
}

/**
 * The namespaces a peer's pods may live in: the policy's own without a namespaceSelector, those
 * it names by `kubernetes.io/metadata.name`, or undefined when it cannot be bounded.
 */
export function peerNamespaces(peer: NetworkPolicyPeer, own: string): string[] | undefined {
  const sel = peer.namespaceSelector;
  if (sel === undefined) return [own];
  const named = sel.matchLabels?.[NAMESPACE_NAME_LABEL];
  if (named !== undefined) return [named];
  const inList = (sel.matchExpressions ?? []).find(
    (e) => e.key === NAMESPACE_NAME_LABEL && e.operator === "In",
  );
  return inList?.values ? [...inList.values] : undefined;
}

/** DNS through the cluster's resolver: pods selected in kube-system, on port 53 only. */
function isDns(peer: NetworkPolicyPeer, ports: number[] | string): boolean {
  if (typeof ports === "string" || ports.length === 0 || ports.some((p) => p !== 53)) return false;
  const namespaces = peerNamespaces(peer, "");
  return (
    peer.ipBlock === undefined &&
    namespaces?.length === 1 &&
    namespaces[0] === "kube-system" &&
    !selectorIsUnbounded(peer.podSelector)
  );
}

// `name.ns.svc`, `*.ns.svc.cluster.local`: a declared in-cluster service names its namespace.
const SERVICE_HOST = /^(?:\*|[a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/;

export function serviceNamespace(host: string | undefined): string | undefined {
  return host === undefined ? undefined : SERVICE_HOST.exec(host)?.[1];
}

function on(ports: number[] | string): string {
  if (typeof ports === "string") return ports;
  return `port${ports.length === 1 ? "" : "s"} ${ports.join(", ")}`;
}

function ipBlockText(peer: NetworkPolicyPeer): string {
  const except = peer.ipBlock?.except ?? [];
  return `ipBlock ${peer.ipBlock?.cidr ?? ""}${except.length > 0 ? ` except ${except.join(", ")}` : ""}`;
}

function podsText(peer: NetworkPolicyPeer, namespaces: string[] | undefined): string {
  const where =
    namespaces === undefined
      ? `namespaces matching ${JSON.stringify(peer.namespaceSelector)}`
      : `namespace ${namespaces.join(", ")}`;
  const which = selectorIsUnbounded(peer.podSelector)
    ? "every pod"
    : `pods matching ${JSON.stringify(peer.podSelector)}`;
  return `${which} of ${where}`;
}

/** Why one egress peer is beyond what is declared, or undefined when it is declared. */
function undeclaredEgress(
  peer: NetworkPolicyPeer,
  ports: number[] | string,
  declared: readonly EgressEndpoint[],
  own: string,
): string | undefined {
  const fitting = declared.filter((e) => e.internet !== true && portsCovered(e.ports, ports));
  if (peer.ipBlock) {
    // Every address and internet egress are network/egress-restricted's to judge.
    if (peerReach(peer) !== undefined) return undefined;
    const cover = cidrRanges(fitting.flatMap((e) => e.cidrs ?? []));
    return rangesCovered(blockAddresses([peer.ipBlock]), cover)
      ? undefined
      : `${ipBlockText(peer)} on ${on(ports)}`;
  }
  if (isDns(peer, ports)) return undefined;
  const namespaces = peerNamespaces(peer, own);
  const services = new Set(fitting.flatMap((e) => serviceNamespace(e.host) ?? []));
  if (namespaces !== undefined && namespaces.every((ns) => services.has(ns))) return undefined;
  return `${podsText(peer, namespaces)} on ${on(ports)}`;
}

/**
 * Whether a declared host covers a name or pattern a policy allows: the same name, or a name or
 * pattern under a declared `*.` wildcard (whatever it matches ends in the wildcard's suffix).
 */
export function hostCovers(declared: string, name: string): boolean {
  const d = declared.toLowerCase().replace(/\.$/, "");
  if (d === name) return true;
  return d.startsWith("*.") && name.endsWith(d.slice(1)) && name.length > d.length - 1;
}

/** Why one destination of a host-naming policy is beyond what is declared, or undefined. */
function undeclaredPeer(
  peer: EgressPeer,
  ports: number[] | string,
  declared: readonly EgressEndpoint[],
): string | undefined {
  const fitting = declared.filter((e) => e.internet !== true && portsCovered(e.ports, ports));
  switch (peer.kind) {
    case "all":
      return undefined; // network/egress-restricted reports it
    case "fqdn":
      return fitting.some((e) => e.host !== undefined && hostCovers(e.host, peer.name))
        ? undefined
        : `${peer.pattern ? "host pattern" : "host"} ${peer.name} on ${on(ports)}`;
    case "cidr":
      return undeclaredEgress(
        { ipBlock: { cidr: peer.cidr, ...(peer.except ? { except: peer.except } : {}) } },
        ports,
        declared,
        "",
      );
    case "entity":
      return `${peer.name === "nodes" ? "nodes" : `entity ${peer.name}`} on ${on(ports)}`;
    case "pods": {
      const asPeer: NetworkPolicyPeer = { podSelector: peer.selector };
      if (peer.namespaces !== undefined && isDns(podsIn(peer.namespaces, peer.selector), ports))
        return undefined;
      const services = new Set(fitting.flatMap((e) => serviceNamespace(e.host) ?? []));
      if (peer.namespaces !== undefined && peer.namespaces.every((ns) => services.has(ns)))
        return undefined;
      return `${podsText(asPeer, peer.namespaces)} on ${on(ports)}`;
    }
  }
}

/** A NetworkPolicy peer for pods of these namespaces, to judge like one. */
function podsIn(
  namespaces: string[],
  selector: NetworkPolicyPeer["podSelector"],
): NetworkPolicyPeer {
  return {
    namespaceSelector: {
      matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: namespaces }],
    },
    ...(selector ? { podSelector: selector } : {}),
  };
}

/** Whether an agent's pods are all a selector peer admits, or narrower. */
function agentCovers(agent: IngressAgent, peer: NetworkPolicyPeer, ns: string, own: string) {
  if ((agent.namespace ?? own) !== ns) return false;
  const wanted = Object.entries(agent.labels ?? {});
  if (wanted.length === 0) return agent.namespace !== undefined;
  const have = peer.podSelector?.matchLabels ?? {};
  return wanted.every(([k, v]) => have[k] === v);
}

/** Why one ingress peer admits more than the declared agents, or undefined when it does not. */
function undeclaredIngress(
  peer: NetworkPolicyPeer,
  agents: readonly IngressAgent[],
  own: string,
): string | undefined {
  if (peer.ipBlock) {
    if (peerReach(peer) !== undefined) return undefined;
    const cover = cidrRanges(agents.flatMap((a) => a.cidrs ?? []));
    return rangesCovered(blockAddresses([peer.ipBlock]), cover) ? undefined : ipBlockText(peer);
  }
  const namespaces = peerNamespaces(peer, own);
  if (
    namespaces !== undefined &&
    namespaces.every((ns) => agents.some((a) => agentCovers(a, peer, ns, own)))
  )
    return undefined;
  return podsText(peer, namespaces);
}

export const networkWithinDeclared: Rule = {
  id: "network/within-declared",
  title:
    "The NetworkPolicies that select the pod allow no more than its signed evaluation declares: egress endpoints and ports, ingress agents and ports.",
  explain: {
    why: "The signed evaluation records where the server says it connects (permissions.egress) and who may call it (permissions.ingress): that is what reviewers approved. A NetworkPolicy that also allows other addresses, other pods or namespaces, other ports or other callers opens a path nobody reviewed, for a turned server to send data out or for an unlisted agent to call its tools.",
    fix: 'Allow in each selecting NetworkPolicy only DNS to the cluster\'s resolver (kube-system, port 53), the declared endpoints (ipBlocks inside their declared cidrs, in-cluster services declared as hosts like "db.data.svc", on the declared ports) and, for ingress, the declared agents (their namespace and at least their labels) on the declared ports; or declare what the server needs in server.json and evaluate the release again. Judged only with registry facts: check skips it unless --verify-images is given.',
    example: yamlExample`
      # server.json: _meta["dev.mcp-warden/permissions"], which the evaluation signs
      egress:
        - { cidrs: ["140.82.112.0/20"], ports: [443] }
      ingress:
        ports: [8080]
        agents: [{ name: research, namespace: agents, labels: { app: research } }]
      ---
      # the NetworkPolicy's spec: no more than that
      egress:
        - to: [{ ipBlock: { cidr: 140.82.112.0/20 } }]
          ports: [{ port: 443 }]
      ingress:
        - from:
            - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: agents } }
              podSelector: { matchLabels: { app: research } }
          ports: [{ port: 8080 }]
    `,
  },
  needsRegistry: true,
  check(ctx) {
    const declared = declaredNetwork(ctx);
    // Without a verified evaluation that declares permissions, image/evaluated speaks.
    if (declared === undefined || ctx.workload.podSpec.hostNetwork === true) return [];
    if (ctx.cluster.unavailable?.networkPolicies !== undefined) return [];
    const own = ctx.workload.namespace;
    const path = fieldPath(ctx.workload.metaPath, "labels");
    const findings: Finding[] = [];
    // A gateway's egress is its own (the API server, the registry, its server), not the server's.
    for (const p of declared.gateway ? [] : applyingEgressPolicies(ctx)) {
      for (const allowance of p.egress) {
        const extra = allowance.peers.flatMap((peer) => {
          const why = undeclaredPeer(peer, allowance.ports, declared.egress);
          return why === undefined ? [] : [why];
        });
        if (extra.length === 0) continue;
        findings.push({
          rule: this.id,
          message: `${p.name} ${allowance.path} allows ${extra.join("; ")}, which the server's signed evaluation does not declare: allow only the declared hosts and endpoints (permissions.egress)`,
          path,
          related: [
            {
              kind: p.policy.kind,
              ...(p.policy.metadata.namespace ? { namespace: p.policy.metadata.namespace } : {}),
              name: p.policy.metadata.name,
              path: allowance.path,
            },
          ],
        });
      }
    }
    for (const np of selectingPolicies(ctx)) {
      const types = effectivePolicyTypes(np);
      const name = `NetworkPolicy ${np.metadata.namespace ?? own}/${np.metadata.name ?? ""}`;
      const report = (field: string, i: number, extra: string[], what: string) => {
        if (extra.length === 0) return;
        findings.push({
          rule: this.id,
          message: `${name} ${field}[${i}] allows ${extra.join("; ")}, which the server's signed evaluation does not declare: ${what}`,
          path,
          related: [
            {
              kind: "NetworkPolicy",
              namespace: np.metadata.namespace ?? own,
              name: np.metadata.name ?? "",
              path: fieldPath("spec", field, i),
            },
          ],
        });
      };
      if (types.includes("Egress") && declared.gateway !== true) {
        (np.spec.egress ?? []).forEach((r, i) => {
          const ports = rulePorts(r.ports);
          const extra = (r.to ?? []).flatMap((peer, j) => {
            const why = undeclaredEgress(peer, ports, declared.egress, own);
            return why === undefined ? [] : [`to[${j}] ${why}`];
          });
          report("egress", i, extra, "allow only the declared endpoints (permissions.egress)");
        });
      }
      if (types.includes("Ingress")) {
        (np.spec.ingress ?? []).forEach((r, i) => {
          const extra: string[] = [];
          const ports = rulePorts(r.ports);
          // A server behind its gateway admits the gateway's pods; a gateway is judged by the agents.
          const fromGateway = (peer: NetworkPolicyPeer) =>
            declared.gateway !== true && gatewayPeerProblem(peer, own) === undefined;
          const onlyGateway = (r.from ?? []).length > 0 && (r.from ?? []).every(fromGateway);
          if (declared.ingressPorts === undefined) {
            // A stdio server has no port of its own; behind the bridge, its gateway reaches it.
            if (!onlyGateway)
              extra.push(`connections on ${on(ports)} to a server that declares no ports`);
          } else {
            const open = declared.ingressPorts;
            const beyond =
              typeof ports === "string" ? ports : ports.filter((p) => !open.includes(p));
            if (beyond.length > 0) extra.push(`ports beyond ${on(open)}: ${on(beyond)}`);
          }
          (r.from ?? []).forEach((peer, j) => {
            if (fromGateway(peer)) return;
            const why = undeclaredIngress(peer, declared.agents, own);
            if (why !== undefined) extra.push(`from[${j}] ${why}`);
          });
          report(
            "ingress",
            i,
            extra,
            "admit only the declared agents on the declared ports (permissions.ingress)",
          );
        });
      }
    }
    return findings;
  },
};
