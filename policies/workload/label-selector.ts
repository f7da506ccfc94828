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
