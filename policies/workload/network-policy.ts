import { InputError } from "../errors.ts";
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
  return {
    ...object,
    metadata: { ...object.metadata, namespace: object.metadata.namespace || defaultNamespace },
    spec: object.spec ?? {},
  };
}
