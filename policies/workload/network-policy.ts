import { InputError, type FieldProblem } from "../errors.ts";
import { parseCidr } from "./cidr.ts";
import type { NetworkPolicy } from "./k8s-types.ts";
import { compileSchema } from "../schema-validator.ts";
import { labelSelectorSchema as selector } from "./label-selector.ts";

const peers = {
  type: "array",
  items: {
    type: "object",
    properties: {
      podSelector: selector,
      namespaceSelector: selector,
      ipBlock: {
        type: "object",
        required: ["cidr"],
        properties: {
          cidr: { type: "string", minLength: 1 },
          except: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
} as const;

const networkPolicySchema = {
  type: "object",
  required: ["kind", "metadata"],
  properties: {
    kind: { const: "NetworkPolicy" },
    metadata: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" }, namespace: { type: "string" } },
    },
    spec: {
      type: "object",
      properties: {
        podSelector: selector,
        policyTypes: { type: "array", items: { enum: ["Ingress", "Egress"] } },
        ingress: { type: "array", items: { type: "object", properties: { from: peers } } },
        egress: { type: "array", items: { type: "object", properties: { to: peers } } },
      },
    },
  },
} as const;

const validator = compileSchema<NetworkPolicy>(networkPolicySchema);

/** ipBlocks the API server would refuse: a malformed cidr, or an except outside its cidr. */
function ipBlockProblems(np: NetworkPolicy): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const lists = [
    ...(np.spec?.ingress ?? []).map((r, i) => [`spec.ingress[${i}].from`, r.from] as const),
    ...(np.spec?.egress ?? []).map((r, i) => [`spec.egress[${i}].to`, r.to] as const),
  ];
  for (const [base, peers] of lists) {
    (peers ?? []).forEach((peer, j) => {
      if (!peer.ipBlock) return;
      const path = `${base}[${j}].ipBlock`;
      const cidr = parseCidr(peer.ipBlock.cidr);
      if (!cidr) {
        problems.push({ path: `${path}.cidr`, message: "must be a valid CIDR" });
        return;
      }
      (peer.ipBlock.except ?? []).forEach((text, k) => {
        const except = parseCidr(text);
        if (!except)
          problems.push({ path: `${path}.except[${k}]`, message: "must be a valid CIDR" });
        else if (
          except.lo < cidr.lo ||
          except.hi > cidr.hi ||
          (except.lo === cidr.lo && except.hi === cidr.hi)
        )
          problems.push({
            path: `${path}.except[${k}]`,
            message: "must be a strict subset of cidr",
          });
      });
    });
  }
  return problems;
}

/**
 * Validates a NetworkPolicy the way the API server would for the fields the network rules read.
 * A missing namespace means `default`; a missing spec selects every pod and allows no traffic.
 * @throws InputError DOCUMENT_INVALID listing every bad field
 */
export function parseNetworkPolicy(object: unknown, defaultNamespace = "default"): NetworkPolicy {
  const problems = validator.problems(object, "");
  if (problems.length > 0 || !validator.is(object)) {
    throw new InputError("DOCUMENT_INVALID", "invalid NetworkPolicy", { problems });
  }
  const blockProblems = ipBlockProblems(object);
  if (blockProblems.length > 0) {
    throw new InputError("DOCUMENT_INVALID", "invalid NetworkPolicy", { problems: blockProblems });
  }
  return {
    ...object,
    metadata: { ...object.metadata, namespace: object.metadata.namespace || defaultNamespace },
    spec: object.spec ?? {},
  };
}
