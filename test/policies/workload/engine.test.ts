import assert from "node:assert/strict";
import { test } from "node:test";
import type { InputError } from "../../../policies/errors.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import { resolveExceptions } from "../../../policies/workload/exceptions.ts";
import { compileGlob } from "../../../policies/glob.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import {
  compliantPodSpec,
  defaultPolicy,
  denyAll,
  exception,
  policyWith,
} from "../../support/policies.ts";

const now = new Date("2026-06-01T00:00:00Z");
const policy = defaultPolicy();

function deployment(
  namespace: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
) {
  return toWorkload({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "srv", namespace },
    spec: { template: { metadata: { labels: { app: "srv" }, annotations }, spec } },
  });
}

const isolated = createClusterState({ networkPolicies: [parseNetworkPolicy(denyAll("team-a"))] });
const noLimits = () => {
  const spec = compliantPodSpec();
  const [c] = spec.containers as Record<string, unknown>[];
  delete c!.resources;
  return spec;
};

test("a compliant workload in an isolated namespace is allowed; registry rules are listed as skipped", () => {
  const d = judgeWorkload(deployment("team-a", compliantPodSpec()), {
    policy,
    cluster: isolated,
    now,
  });
  assert.deepEqual(d.findings, []);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.skipped, [
    "image/signed",
    "image/evaluated",
    "rbac/within-declared",
    "network/within-declared",
  ]);
});

test("warn findings admit, enforce findings deny", () => {
  const spec = compliantPodSpec();
  (spec.containers as Record<string, unknown>[])[0]!.env = [
    { name: "API_KEY", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
  ];
  const warned = judgeWorkload(deployment("team-a", spec), { policy, cluster: isolated, now });
  assert.equal(warned.allowed, true);
  assert.deepEqual(
    warned.findings.map((f) => [f.rule, f.action]),
    [["credentials/no-secret-env", "warn"]],
  );

  const denied = judgeWorkload(deployment("team-a", noLimits()), {
    policy,
    cluster: isolated,
    now,
  });
  assert.equal(denied.allowed, false);
  assert.ok(
    denied.findings.every((f) => f.rule === "sandbox/resource-limits" && f.action === "enforce"),
  );
});

test("audit and off", () => {
  const audit = compilePolicy(
    policyWith({ rules: { "*": "enforce", "sandbox/resource-limits": "audit" } }),
  );
  const a = judgeWorkload(deployment("team-a", noLimits()), {
    policy: audit,
    cluster: isolated,
    now,
  });
  assert.equal(a.allowed, true);
  assert.deepEqual([...new Set(a.findings.map((f) => f.action))], ["audit"]);
  const off = compilePolicy(policyWith({ rules: { "*": "enforce", "sandbox/*": "off" } }));
  assert.deepEqual(
    judgeWorkload(deployment("team-a", noLimits()), { policy: off, cluster: isolated, now })
      .findings,
    [],
  );
});

test("--rules selects which rules run", () => {
  const d = judgeWorkload(deployment("team-b", noLimits()), {
    policy,
    cluster: isolated,
    now,
    only: [compileGlob("network/*")],
  });
  assert.deepEqual([...new Set(d.findings.map((f) => f.rule))].sort(), [
    "network/egress-restricted",
    "network/ingress-restricted",
  ]);
  assert.deepEqual(d.skipped, ["network/within-declared"]);
});

const exceptionCases: {
  name: string;
  exceptions: ReturnType<typeof exception>[];
  annotation: string;
  allowed: boolean;
  invalid?: RegExp;
  /** Whether the resource-limits findings end up exempted (default: same as allowed). */
  exempts?: boolean;
}[] = [
  {
    name: "granted from mcp-warden-system",
    exceptions: [exception("limits", "mcp-warden-system", {})],
    annotation: "limits",
    allowed: true,
  },
  {
    name: "granted by glob namespaces",
    exceptions: [exception("limits", "mcp-warden-system", { namespaces: ["team-*"] })],
    annotation: "limits",
    allowed: true,
  },
  {
    name: "self-granted in the workload's namespace",
    exceptions: [exception("limits", "team-a", {})],
    annotation: "limits",
    allowed: false,
    invalid: /own namespace/,
  },
  {
    name: "in a third namespace",
    exceptions: [exception("limits", "team-c", {})],
    annotation: "limits",
    allowed: false,
    invalid: /exists only in team-c/,
  },
  {
    name: "missing",
    exceptions: [],
    annotation: "limits",
    allowed: false,
    invalid: /does not exist/,
  },
  {
    name: "expired",
    exceptions: [exception("limits", "mcp-warden-system", { expires: "2026-05-31T23:59:59Z" })],
    annotation: "limits",
    allowed: false,
    invalid: /expired/,
  },
  {
    name: "unexpired",
    exceptions: [exception("limits", "mcp-warden-system", { expires: "2026-06-01T00:00:01Z" })],
    annotation: "limits",
    allowed: true,
  },
  {
    name: "does not cover the namespace",
    exceptions: [exception("limits", "mcp-warden-system", { namespaces: ["team-b"] })],
    annotation: "limits",
    allowed: false,
    invalid: /does not cover namespace team-a/,
  },
  {
    name: "names a non-exemptible rule",
    exceptions: [
      exception("limits", "mcp-warden-system", { rules: ["sandbox/*", "image/digest-pinned"] }),
    ],
    annotation: "limits",
    allowed: false,
    invalid: /image\/digest-pinned/,
  },
  {
    name: "a catch-all glob covers image/*",
    exceptions: [exception("limits", "mcp-warden-system", { rules: ["*"] })],
    annotation: "limits",
    allowed: false,
    invalid: /does not let exceptions exempt/,
  },
  {
    name: "covers other rules only",
    exceptions: [exception("net", "mcp-warden-system", { rules: ["network/*"] })],
    annotation: "net",
    allowed: false,
  },
  {
    name: "two requested, one valid",
    exceptions: [exception("limits", "mcp-warden-system", {})],
    annotation: "nope, limits",
    allowed: false,
    invalid: /nope does not exist/,
    exempts: true,
  },
  {
    name: "invalid name",
    exceptions: [],
    annotation: "Bad_Name",
    allowed: false,
    invalid: /not a valid exception name/,
  },
];

for (const c of exceptionCases) {
  test(`exceptions: ${c.name}`, () => {
    const cluster = createClusterState({
      networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
      exceptions: c.exceptions,
    });
    const d = judgeWorkload(
      deployment("team-a", noLimits(), { "mcp-warden.dev/exception": c.annotation }),
      { policy, cluster, now },
    );
    assert.equal(d.allowed, c.allowed, JSON.stringify(d.findings, null, 1));
    const invalid = d.findings.filter((f) => f.rule === "exception/invalid");
    if (c.invalid) {
      assert.equal(invalid.length, 1);
      assert.match(invalid[0]!.message, c.invalid);
      assert.equal(
        invalid[0]!.path,
        'spec.template.metadata.annotations["mcp-warden.dev/exception"]',
      );
    } else {
      assert.equal(invalid.length, 0);
    }
    const limits = d.findings.filter((f) => f.rule === "sandbox/resource-limits");
    assert.equal(limits.length, 2);
    const exempted = limits.every((f) => f.exemptedBy === "mcp-warden-system/limits");
    assert.equal(exempted, c.exempts ?? c.allowed);
    assert.deepEqual(d.exceptionsUsed, exempted ? ["mcp-warden-system/limits"] : []);
  });
}

test("an expiry that cannot be read is refused, never read as no expiry", () => {
  for (const expires of ["2026-12-31T23:59:60Z", "2026-06-31T00:00:00Z", "2026-12-31 00:00:00Z"]) {
    assert.throws(
      () => exception("limits", "mcp-warden-system", { expires }),
      (e: InputError) => e.problems.some((p) => p.path === "spec.expires"),
      expires,
    );
    // The same object reaching the engine without the parser (a CRD validator that accepted it).
    const accepted = exception("limits", "mcp-warden-system", {});
    const unreadable = { ...accepted, spec: { ...accepted.spec, expires } };
    const cluster = createClusterState({
      networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
      exceptions: [unreadable],
    });
    const d = judgeWorkload(
      deployment("team-a", noLimits(), { "mcp-warden.dev/exception": "limits" }),
      { policy, cluster, now },
    );
    assert.equal(d.allowed, false, expires);
    const invalid = d.findings.filter((f) => f.rule === "exception/invalid");
    assert.match(invalid[0]?.message ?? "", /not an RFC 3339 time/);
  }
});

test("exceptions are never honoured when the policy names no exception namespace", () => {
  const closed = compilePolicy(policyWith({ rules: { "*": "enforce" } }));
  const cluster = createClusterState({
    networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
    exceptions: [exception("limits", "mcp-warden-system", {})],
  });
  const d = judgeWorkload(
    deployment("team-a", noLimits(), { "mcp-warden.dev/exception": "limits" }),
    {
      policy: closed,
      cluster,
      now,
    },
  );
  assert.equal(d.allowed, false);
  assert.match(
    d.findings.find((f) => f.rule === "exception/invalid")!.message,
    /honours exceptions from no namespace/,
  );
});

test("an annotation on the Deployment's own metadata requests nothing: pods would not carry it", () => {
  const cluster = createClusterState({
    networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
    exceptions: [exception("limits", "mcp-warden-system", {})],
  });
  const w = toWorkload({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "srv",
      namespace: "team-a",
      annotations: { "mcp-warden.dev/exception": "limits" },
    },
    spec: { template: { metadata: { labels: { app: "srv" } }, spec: noLimits() } },
  });
  assert.equal(judgeWorkload(w, { policy, cluster, now }).allowed, false);
});

test("stale cluster state: network rules and exceptions deny and say why", () => {
  const cluster = createClusterState({
    networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
    exceptions: [exception("limits", "mcp-warden-system", {})],
    unavailable: {
      networkPolicies: "the NetworkPolicy watch has been down for 90s",
      exceptions: "the exception watch has been down for 90s",
    },
  });
  const d = judgeWorkload(
    deployment("team-a", noLimits(), { "mcp-warden.dev/exception": "limits" }),
    {
      policy,
      cluster,
      now,
    },
  );
  assert.equal(d.allowed, false);
  const by = (rule: string) => d.findings.filter((f) => f.rule === rule).map((f) => f.message);
  assert.deepEqual(by("network/egress-restricted"), [
    "cannot verify egress isolation: the NetworkPolicy watch has been down for 90s",
  ]);
  assert.equal(by("network/ingress-restricted").length, 1);
  assert.deepEqual(by("exception/invalid"), [
    "cannot verify exception limits: the exception watch has been down for 90s",
  ]);
  assert.ok(
    d.findings.filter((f) => f.rule === "sandbox/resource-limits").every((f) => !f.exemptedBy),
  );
});

test("an exception's globs are compiled once and reused by every request", () => {
  const cluster = createClusterState({
    exceptions: [exception("limits", "mcp-warden-system", { namespaces: ["team-*"] })],
  });
  const workload = deployment("team-a", noLimits(), { "mcp-warden.dev/exception": "limits" });
  const first = resolveExceptions(workload, cluster, policy, now);
  const second = resolveExceptions(workload, cluster, policy, now);
  assert.equal(first.grants.length, 1);
  assert.equal(second.grants[0]!.rules[0], first.grants[0]!.rules[0]);
});
