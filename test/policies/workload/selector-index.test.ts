// The selector index answers exactly what filtering every selector would, in the same order,
// for generated selectors and labels drawn from a small alphabet (so that they often meet).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LabelSelector, Labels } from "../../../policies/workload/k8s-types.ts";
import { selectorMatches } from "../../../policies/workload/label-selector.ts";
import { selectorIndex } from "../../../policies/workload/selector-index.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";

const key = fc.constantFrom("app", "tier", "team", "mcp-warden.dev/gateway-for");
const value = fc.constantFrom("a", "b", "c", "");
const labels: fc.Arbitrary<Labels> = fc.dictionary(key, value, { maxKeys: 4 });
const requirement = fc.oneof(
  fc.record({
    key,
    operator: fc.constantFrom("In", "NotIn"),
    values: fc.array(value, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key, operator: fc.constantFrom("Exists", "DoesNotExist") }),
);
const selector: fc.Arbitrary<LabelSelector | undefined> = fc.option(
  fc.record(
    {
      matchLabels: fc.dictionary(key, value, { maxKeys: 2 }),
      matchExpressions: fc.array(requirement, { maxLength: 3 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

test("the index selects exactly what filtering every selector selects, in order", () => {
  fc.assert(
    fc.property(fc.array(selector, { maxLength: 30 }), labels, (selectors, podLabels) => {
      const items = selectors.map((s, i) => ({ i, s }));
      const index = selectorIndex(items, (x) => x.s);
      const expected = items.filter((x) => selectorMatches(x.s, podLabels));
      assert.deepEqual(index.selecting(podLabels), expected);
    }),
    { seed: 17, numRuns: 2000 },
  );
});

test("cluster state selects a namespace's NetworkPolicies through the index", () => {
  const np = (name: string, namespace: string, podSelector: LabelSelector) =>
    parseNetworkPolicy({
      kind: "NetworkPolicy",
      metadata: { name, namespace },
      spec: { podSelector },
    });
  const state = createClusterState({
    networkPolicies: [
      np("all", "team-a", {}),
      np("app-x", "team-a", { matchLabels: { app: "x" } }),
      np("app-y", "team-a", { matchLabels: { app: "y" } }),
      np("tier", "team-a", { matchExpressions: [{ key: "tier", operator: "Exists" }] }),
      np("other-ns", "team-b", { matchLabels: { app: "x" } }),
    ],
  });
  const names = (l: Labels) =>
    state.networkPoliciesSelecting("team-a", l).map((p) => p.metadata.name);
  assert.deepEqual(names({ app: "x", tier: "mcp" }), ["all", "app-x", "tier"]);
  assert.deepEqual(names({ app: "y" }), ["all", "app-y"]);
  assert.deepEqual(state.networkPoliciesSelecting("team-c", { app: "x" }), []);
});
