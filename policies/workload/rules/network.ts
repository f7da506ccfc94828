import { fieldPath } from "../../field-path.ts";
import { blockAddresses, classifyReach, type Reach } from "../cidr.ts";
import type { NetworkPolicy, NetworkPolicyPeer } from "../k8s-types.ts";
import { selectorMatches } from "../label-selector.ts";
import type { Finding, Rule, RuleContext } from "../rule.ts";

type Direction = "Ingress" | "Egress";

/** policyTypes as the API server defaults them: Ingress always, Egress when egress rules exist. */
export function effectivePolicyTypes(np: NetworkPolicy): readonly string[] {
  if (np.spec.policyTypes && np.spec.policyTypes.length > 0) return np.spec.policyTypes;
  return np.spec.egress && np.spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

export function selectingPolicies(ctx: RuleContext): NetworkPolicy[] {
  const labels = ctx.workload.podMeta.labels ?? {};
  return ctx.cluster
    .networkPoliciesIn(ctx.workload.namespace)
    .filter((np) => selectorMatches(np.spec.podSelector, labels));
}

/** How far the ipBlocks of one rule reach, whatever notation or union they are written in. */
export function peersReach(peers: NetworkPolicyPeer[]): Reach | undefined {
  return classifyReach(blockAddresses(peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : []))));
}

function cidrs(peers: NetworkPolicyPeer[]): string {
  return peers.flatMap((p) => (p.ipBlock ? [p.ipBlock.cidr] : [])).join(", ");
}

/** Why one rule of a policy lets every peer through, or undefined when it does not. */
function openingReason(
  peers: NetworkPolicyPeer[] | undefined,
  field: "to" | "from",
  noun: string,
): string | undefined {
  if (!peers || peers.length === 0)
    return `every ${noun}: ${field} is empty, which allows every peer`;
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

function directionRule(id: string, direction: Direction): Rule {
  const rulesField = direction === "Egress" ? "egress" : "ingress";
  const peersField = direction === "Egress" ? "to" : "from";
  const noun = direction === "Egress" ? "destination" : "source";
  return {
    id,
    title: `A NetworkPolicy restricts ${rulesField} and none allows every ${noun}.`,
    check(ctx) {
      const path = fieldPath(ctx.workload.metaPath, "labels");
      const stale = ctx.cluster.unavailable?.networkPolicies;
      if (stale !== undefined) {
        return [{ rule: id, message: `cannot verify ${rulesField} isolation: ${stale}`, path }];
      }
      const selecting = selectingPolicies(ctx).filter((np) =>
        effectivePolicyTypes(np).includes(direction),
      );
      if (selecting.length === 0) {
        return [
          {
            rule: id,
            message: `no NetworkPolicy in namespace ${ctx.workload.namespace} selects this pod with policyTypes ${direction}: add one that allows only the declared ${direction === "Egress" ? "endpoints" : "agents"}`,
            path,
          },
        ];
      }
      const findings: Finding[] = [];
      for (const np of selecting) {
        const peerLists =
          direction === "Egress"
            ? (np.spec.egress ?? []).map((r) => r.to)
            : (np.spec.ingress ?? []).map((r) => r.from);
        peerLists.forEach((peers, i) => {
          const reason = openingReason(peers, peersField, noun);
          if (reason) {
            findings.push({
              rule: id,
              message: `NetworkPolicy ${np.metadata.namespace ?? ctx.workload.namespace}/${np.metadata.name ?? ""} ${rulesField}[${i}] opens the pod to ${reason}`,
              path,
            });
          }
        });
      }
      return findings;
    },
  };
}

export const networkRules: readonly Rule[] = [
  directionRule("network/egress-restricted", "Egress"),
  directionRule("network/ingress-restricted", "Ingress"),
];
