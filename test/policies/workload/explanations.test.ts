import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { compileGlob } from "../../../policies/glob.ts";
import { isRecord } from "../../../policies/guards.ts";
import { CATALOGUE, type RuleInfo } from "../../../policies/workload/catalogue.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import { EXCEPTION_KIND, parseException } from "../../../policies/workload/exception-schema.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { POLICY_KIND } from "../../../policies/workload/policy-schema.ts";
import { isRbacKind, parseRbacObject } from "../../../policies/workload/rbac.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { defaultPolicy } from "../../support/policies.ts";

// Every rule's explanation (`mcp-warden explain`), and its example judged by the engine: the
// example must pass the rule it explains.

const NOW = new Date("2026-06-01T00:00:00Z");
const policy = defaultPolicy();

/** The Deployment the examples' fragments complete: it breaks many rules, so they show the fix. */
function baseDeployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "mcp-example", namespace: "mcp-servers" },
    spec: {
      selector: { matchLabels: { app: "mcp-example" } },
      template: {
        metadata: { labels: { app: "mcp-example" } },
        spec: { containers: [{ name: "server", image: "ghcr.io/acme/mcp-example:1.4.2" }] },
      },
    },
  };
}

const named = (v: unknown): v is { name: unknown } => isRecord(v) && "name" in v;

/** `kubectl patch` (strategic merge): objects merged key by key, lists of named items by name. */
function merge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && base.every(named) && patch.every(named)) {
    const out: unknown[] = base.map((b) => {
      const p = patch.find((x) => x.name === b.name);
      return p === undefined ? b : merge(b, p);
    });
    for (const p of patch) if (!base.some((b) => b.name === p.name)) out.push(p);
    return out;
  }
  if (isRecord(base) && isRecord(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  return patch;
}

interface Example {
  /** The documents without a kind that hold a Deployment's fields. */
  fragments: Record<string, unknown>[];
  /** The documents with a kind. */
  objects: Record<string, unknown>[];
}

function exampleOf(rule: RuleInfo): Example {
  const docs = parseAllDocuments(rule.explain.example);
  const out: Example = { fragments: [], objects: [] };
  for (const doc of docs) {
    assert.deepEqual(doc.errors, [], `${rule.id}: the example is YAML`);
    const value: unknown = doc.toJS();
    assert.ok(isRecord(value), `${rule.id}: every document of the example is a mapping`);
    if (typeof value.kind === "string") out.objects.push(value);
    else if (isRecord(value.spec) && isRecord(value.spec.template)) out.fragments.push(value);
  }
  return out;
}

/** The rule's findings on the base Deployment with `fragments` merged in, beside `objects`. */
function findings(
  id: string,
  fragments: readonly unknown[],
  objects: readonly Record<string, unknown>[] = [],
) {
  const deployment = fragments.reduce<unknown>((d, f) => merge(d, f), baseDeployment());
  const cluster = createClusterState({
    networkPolicies: objects
      .filter((o) => o.kind === "NetworkPolicy")
      .map((o) => parseNetworkPolicy(o)),
    exceptions: objects.filter((o) => o.kind === EXCEPTION_KIND).map((o) => parseException(o)),
    rbac: objects.filter((o) => isRbacKind(o.kind)).map((o) => parseRbacObject(o)),
  });
  // An example that shows the policy setting a rule reads is judged under that policy.
  const own = objects.find((o) => o.kind === POLICY_KIND);
  return judgeWorkload(toWorkload(deployment), {
    policy: own === undefined ? policy : compilePolicy(own),
    cluster,
    now: NOW,
    only: [compileGlob(id)],
  }).findings.filter((f) => f.rule === id);
}

test("every rule in the catalogue is explained: why, how to fix, and an example", () => {
  for (const rule of CATALOGUE) {
    const { why, fix, example } = rule.explain;
    for (const [field, text] of Object.entries({ why, fix, example })) {
      assert.ok(text.trim().length >= 40, `${rule.id}: explain.${field} is written`);
      assert.doesNotMatch(text, /\bTODO\b/, `${rule.id}: explain.${field}`);
    }
    assert.doesNotMatch(example, /^\s/, `${rule.id}: the example starts at the margin`);
    assert.notEqual(why, fix, rule.id);
    exampleOf(rule);
  }
  const ids = CATALOGUE.map((r) => r.id);
  assert.equal(new Set(CATALOGUE.map((r) => r.explain.why)).size, ids.length, "no why is copied");
});

// Rules judged offline have an example the engine can judge: a Deployment fragment, the objects
// that make up the cluster state, or both.
const JUDGED = CATALOGUE.filter((r) => !r.needsRegistry);

test("every offline rule's example passes that rule", () => {
  for (const rule of JUDGED) {
    const { fragments, objects } = exampleOf(rule);
    assert.ok(
      fragments.length + objects.length > 0,
      `${rule.id}: the example holds a Deployment fragment or cluster objects`,
    );
    assert.deepEqual(
      findings(rule.id, fragments, objects).map((f) => f.message),
      [],
      `${rule.id}: its example passes it`,
    );
  }
});

test("the pod-security and sandbox examples are Deployment fragments, and so are credentials'", () => {
  for (const rule of CATALOGUE.filter((r) => /^(pod-security|sandbox|credentials)\//.test(r.id))) {
    assert.ok(exampleOf(rule).fragments.length > 0, rule.id);
  }
});

test("where the bare Deployment breaks a rule, the example is what makes it pass", () => {
  const broken = JUDGED.filter((r) => findings(r.id, []).length > 0).map((r) => r.id);
  // The base leaves out what the restricted profile, the sandbox and isolation require.
  assert.deepEqual(broken, [
    "pod-security/capabilities",
    "pod-security/seccomp-profile",
    "pod-security/allow-privilege-escalation",
    "pod-security/run-as-non-root",
    "sandbox/read-only-root-filesystem",
    "sandbox/resource-limits",
    "sandbox/service-account-token",
    "network/egress-restricted",
    "network/ingress-restricted",
    "image/digest-pinned",
  ]);
});

test("examples that set a field the rule forbids to a bad value correct it", () => {
  // A Deployment fragment that breaks the rule; the example merged over it must fix it.
  const violations: Record<string, unknown> = {
    "pod-security/host-namespaces": { hostNetwork: true, hostPID: true, hostIPC: true },
    "pod-security/privileged": {
      containers: [{ name: "server", securityContext: { privileged: true } }],
    },
    "pod-security/proc-mount": {
      containers: [{ name: "server", securityContext: { procMount: "Unmasked" } }],
    },
    "pod-security/apparmor-profile": {
      securityContext: { appArmorProfile: { type: "Unconfined" } },
    },
    "pod-security/selinux-options": { securityContext: { seLinuxOptions: { type: "spc_t" } } },
    "pod-security/run-as-user": { securityContext: { runAsUser: 0 } },
    "sandbox/service-account-token": { automountServiceAccountToken: true },
  };
  for (const [id, podSpec] of Object.entries(violations)) {
    const bad = { spec: { template: { spec: podSpec } } };
    assert.ok(findings(id, [bad]).length > 0, `${id}: the violation breaks the rule`);
    const rule = CATALOGUE.find((r) => r.id === id)!;
    assert.deepEqual(findings(id, [bad, ...exampleOf(rule).fragments]), [], `${id}: fixed`);
  }
});

test("the exception example is granted, and without it the request is invalid", () => {
  const rule = CATALOGUE.find((r) => r.id === "exception/invalid")!;
  const { fragments, objects } = exampleOf(rule);
  assert.equal(findings(rule.id, fragments).length, 1, "requested but missing");
  assert.deepEqual(findings(rule.id, fragments, objects), []);
});

test("the image/signed example is a valid policy whose signer names the release workflow", () => {
  const rule = CATALOGUE.find((r) => r.id === "image/signed")!;
  const [doc] = exampleOf(rule).objects;
  assert.equal(doc?.kind, POLICY_KIND);
  const compiled = compilePolicy(doc);
  const [identity] = compiled.keylessIdentities;
  assert.ok(identity?.subject instanceof RegExp);
  assert.match(
    "https://github.com/acme/mcp-example/.github/workflows/release.yml@refs/tags/v1.4.2",
    identity.subject,
  );
  assert.doesNotMatch(
    "https://github.com/acme/mcp-example/.github/workflows/release.yml@refs/heads/main",
    identity.subject,
  );
});
