import type { LabelSelector, Labels } from "./k8s-types.ts";

/**
 * Kubernetes label-selector semantics: every matchLabels pair and every matchExpressions
 * requirement must hold; an empty selector matches everything. Selectors are validated when
 * NetworkPolicies are read, so an unknown operator never reaches here; if one does, it matches
 * nothing rather than everything.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!has || !values.includes(labels[req.key] ?? "")) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[req.key] ?? "")) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The label Kubernetes sets on every namespace (since v1.21): requiring it to exist narrows nothing. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Whether a selector admits every object that might carry `alwaysPresent` labels: no matchLabels,
 * and no requirement that a label be present (In, or Exists on a label not always there). NotIn and
 * DoesNotExist only exclude, so anyone who can label an object can step around them.
 */
export function selectorIsUnbounded(
  selector: LabelSelector | undefined,
  alwaysPresent: readonly string[] = [],
): boolean {
  if (!selector) return true;
  if (Object.keys(selector.matchLabels ?? {}).length > 0) return false;
  return (selector.matchExpressions ?? []).every(
    (req) =>
      req.operator === "NotIn" ||
      req.operator === "DoesNotExist" ||
      (req.operator === "Exists" && alwaysPresent.includes(req.key)),
  );
}

/** A LabelSelector as the API server validates it (shared by NetworkPolicies and ClusterRoles). */
export const labelSelectorSchema = {
  type: "object",
  properties: {
    matchLabels: { type: "object", additionalProperties: { type: "string" } },
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "operator"],
        properties: {
          key: { type: "string", minLength: 1 },
          operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
          values: { type: "array", items: { type: "string" } },
        },
        // As the API server validates: In/NotIn need values, Exists/DoesNotExist take none.
        if: { properties: { operator: { enum: ["In", "NotIn"] } } },
        then: { required: ["values"], properties: { values: { type: "array", minItems: 1 } } },
        else: { properties: { values: { type: "array", maxItems: 0 } } },
      },
    },
  },
} as const;
