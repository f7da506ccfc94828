// Host-naming egress policies as listed or watched: each kind is parsed as its CRD admits it, an
// unreadable one makes the network rules deny, and a kind is watched only while its CRD serves it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { clusterStateOf, EGRESS_POLICY_RESOURCES, parseState } from "../../cluster/state.ts";
import { crdServes } from "../../webhook/cluster-watch.ts";
import { INVALID_FQDN_POLICIES, VALID_FQDN_POLICIES } from "../support/fqdn-policies.ts";

const byKind = (objects: Record<string, unknown>[]) =>
  EGRESS_POLICY_RESOURCES.map(
    (r) =>
      [
        r.kind,
        objects
          .filter((o) => o.kind === r.kind)
          // as listed: a list's items may come without apiVersion and kind
          .map(({ apiVersion: _a, kind: _k, ...rest }) => rest as KubernetesObject),
      ] as const,
  );

describe("parseState with host-naming egress policies", () => {
  test("every valid shape is read as cluster state, of its kind", () => {
    const objects = VALID_FQDN_POLICIES.map(([, o]) => o);
    const parsed = parseState({
      networkPolicies: [],
      rbac: [],
      exceptions: [],
      egressPolicies: byKind(objects),
    });
    assert.deepEqual(parsed.invalidNetworkPolicies, []);
    assert.equal(parsed.egressPolicies.length, objects.length);
    assert.deepEqual(
      parsed.egressPolicies.map((p) => p.kind).sort(),
      objects.map((o) => o.kind as string).sort(),
    );
    assert.equal(clusterStateOf(parsed).egressPolicies?.length, objects.length);
  });

  for (const [what, object] of INVALID_FQDN_POLICIES) {
    test(`an unreadable one (${what}) makes the network rules deny, naming it`, () => {
      const parsed = parseState({
        networkPolicies: [],
        rbac: [],
        exceptions: [],
        egressPolicies: byKind([object]),
      });
      assert.equal(parsed.egressPolicies.length, 0);
      assert.equal(parsed.invalidNetworkPolicies.length, 1);
      assert.ok(
        parsed.invalidNetworkPolicies[0]!.startsWith(`${object.kind as string} `),
        parsed.invalidNetworkPolicies[0],
      );
      assert.ok(clusterStateOf(parsed).unavailable?.networkPolicies);
    });
  }
});

describe("crdServes", () => {
  const [cilium] = EGRESS_POLICY_RESOURCES;
  const crd = (
    versions: unknown,
    conditions: unknown,
    group = "cilium.io",
  ): KubernetesObject & Record<string, unknown> => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "ciliumnetworkpolicies.cilium.io" },
    spec: { group, versions },
    status: { conditions },
  });
  const established = [{ type: "Established", status: "True" }];
  const cases: [string, KubernetesObject | undefined, boolean][] = [
    ["established, serving v2", crd([{ name: "v2", served: true }], established), true],
    [
      "serving v2 among others",
      crd(
        [
          { name: "v2alpha1", served: false },
          { name: "v2", served: true },
        ],
        established,
      ),
      true,
    ],
    ["not installed", undefined, false],
    [
      "not established yet",
      crd([{ name: "v2", served: true }], [{ type: "Established", status: "False" }]),
      false,
    ],
    ["without status", crd([{ name: "v2", served: true }], undefined), false],
    ["v2 not served", crd([{ name: "v2", served: false }], established), false],
    ["only another version", crd([{ name: "v2alpha1", served: true }], established), false],
    ["another group", crd([{ name: "v2", served: true }], established, "example.com"), false],
  ];
  for (const [what, object, expected] of cases) {
    test(what, () => assert.equal(crdServes(object, cilium!), expected));
  }
});
