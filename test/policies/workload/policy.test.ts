import assert from "node:assert/strict";
import { test } from "node:test";
import { CATALOGUE, RULE_IDS } from "../../../policies/workload/catalogue.ts";
import { WardenError } from "../../../policies/errors.ts";
import { compileGlob, mostSpecific } from "../../../policies/glob.ts";
import {
  compilePolicy,
  parseDuration,
  registryRulesEnabled,
} from "../../../policies/workload/policy.ts";
import { defaultPolicy, policyWith } from "../../support/policies.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  return [...assertThrowsWithCode(fn, "POLICY_INVALID", WardenError).problems];
}

test("the default policy: every rule enforced, no-secret-env warned, exceptions from mcp-warden-system, image/* never exempt", () => {
  const policy = defaultPolicy();
  for (const id of RULE_IDS) {
    assert.equal(policy.actionFor(id), id === "credentials/no-secret-env" ? "warn" : "enforce", id);
  }
  assert.deepEqual(policy.exceptionNamespaces, ["mcp-warden-system"]);
  for (const id of RULE_IDS.filter((r) => r.startsWith("image/")))
    assert.equal(policy.isExemptible(id), false, id);
  assert.equal(policy.isExemptible("sandbox/resource-limits"), true);
  assert.equal(policy.isExemptible("exception/invalid"), false);
  assert.equal(policy.actionFor("admission/error"), "enforce");
  assert.equal(policy.settings.evaluation.maxAgeMs, 720 * 3_600_000);
  // Evaluations written before evidence was recorded still count unless a policy asks for it.
  assert.equal(policy.settings.evaluation.requireImageEvidence, false);
});

test("requireImageEvidence is a boolean the policy may set", () => {
  const policy = compilePolicy(
    policyWith({ images: { evaluation: { minTrustLevel: "L3", requireImageEvidence: true } } }),
  );
  assert.equal(policy.settings.evaluation.requireImageEvidence, true);
  assert.deepEqual(
    problemsOf(() =>
      compilePolicy(policyWith({ images: { evaluation: { requireImageEvidence: "yes" } } })),
    ).map((p) => p.path),
    ["spec.images.evaluation.requireImageEvidence"],
  );
});

test("the most specific glob wins; unmatched rules are enforced", () => {
  const policy = compilePolicy(
    policyWith({
      rules: {
        "network/*": "audit",
        "network/egress-*": "warn",
        "network/egress-restricted": "off",
        "sandbox/*": "warn",
      },
    }),
  );
  assert.equal(policy.actionFor("network/egress-restricted"), "off");
  assert.equal(policy.actionFor("network/ingress-restricted"), "audit");
  assert.equal(policy.actionFor("sandbox/resource-limits"), "warn");
  assert.equal(policy.actionFor("pod-security/privileged"), "enforce", "no glob matched: enforce");
});

test("wildcards never match admission/error; only the explicit key changes it", () => {
  assert.equal(
    compilePolicy(policyWith({ rules: { "*": "audit" } })).actionFor("admission/error"),
    "enforce",
  );
  assert.equal(
    compilePolicy(policyWith({ rules: { "admission/error": "audit" } })).actionFor(
      "admission/error",
    ),
    "audit",
  );
});

test("glob specificity: literal characters first, then fewer wildcards", () => {
  const globs = ["*", "net*", "network/*", "network/*-restricted", "*/egress-restricted"].map(
    compileGlob,
  );
  assert.equal(mostSpecific(globs, "network/egress-restricted")?.source, "network/*-restricted");
  assert.equal(mostSpecific(globs, "network/x")?.source, "network/*");
  assert.equal(mostSpecific(globs, "image/signed")?.source, "*");
  assert.equal(compileGlob("a.b/*").matches("aXb/c"), false, "dots are literal");
});

test("a bad policy is rejected with every invalid field listed", () => {
  const problems = problemsOf(() =>
    compilePolicy({
      apiVersion: "mcp-warden.dev/v1alpha1",
      kind: "MCPWardenPolicy",
      metadata: { name: "bad" },
      spec: {
        rules: { "*": "block", "sandbox/*": "warn" },
        images: {
          evaluation: { minTrustLevel: "L9", maxAge: "30 days", requireImageEvidence: 1 },
          trustedSigners: [{ keyless: {} }],
        },
        exceptions: { namespaces: "mcp-warden-system" },
        surprise: true,
      },
    }),
  );
  const paths = problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    "spec.exceptions.namespaces",
    "spec.images.evaluation.maxAge",
    "spec.images.evaluation.minTrustLevel",
    "spec.images.evaluation.requireImageEvidence",
    "spec.images.trustedSigners[0].keyless.issuer",
    'spec.rules["*"]',
    "spec.surprise",
  ]);
});

test("semantic problems are listed together too", () => {
  const problems = problemsOf(() =>
    compilePolicy(
      policyWith({
        rules: { "sandbox/resource-limit": "off", "admission/error": "off" },
        images: {
          trustedSigners: [
            {
              keyless: {
                issuer: "https://token.actions.githubusercontent.com",
                subjectRegExp: "^(unclosed",
              },
            },
            { keyless: { issuer: "https://x", subject: "a", subjectRegExp: "b" } },
            { key: { publicKey: "not a key" } },
            {},
          ],
        },
        exceptions: { exemptible: ["*"] },
      }),
    ),
  );
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    "spec.exceptions.exemptible[0]",
    "spec.images.trustedSigners[0].keyless.subjectRegExp",
    "spec.images.trustedSigners[1].keyless",
    "spec.images.trustedSigners[2].key.publicKey",
    "spec.images.trustedSigners[3]",
    'spec.rules["admission/error"]',
    'spec.rules["sandbox/resource-limit"]',
  ]);
});

test("wrong apiVersion, kind and missing metadata are named", () => {
  const problems = problemsOf(() => compilePolicy({ apiVersion: "v1", kind: "Policy", spec: {} }));
  assert.deepEqual(problems.map((p) => p.path).sort(), ["apiVersion", "kind", "metadata"]);
});

test("Go durations", () => {
  assert.equal(parseDuration("720h"), 720 * 3_600_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("250ms"), 250);
});

test("the rules that need a registry are the ones the catalogue says need one", () => {
  assert.deepEqual(registryRulesEnabled(defaultPolicy()), [
    "image/signed",
    "image/evaluated",
    "rbac/within-declared",
    "network/within-declared",
  ]);
  const offline = compilePolicy(
    policyWith({
      rules: {
        "*": "enforce",
        "image/signed": "off",
        "image/evaluated": "off",
        "rbac/within-declared": "off",
        "network/within-declared": "off",
      },
    }),
  );
  assert.deepEqual(registryRulesEnabled(offline), []);
  // A rule added to the catalogue with needsRegistry is looked up for without being listed anywhere else.
  const provenance = { id: "image/provenance", title: "provenance", needsRegistry: true };
  assert.deepEqual(registryRulesEnabled(offline, [...CATALOGUE, provenance]), ["image/provenance"]);
  assert.deepEqual(
    registryRulesEnabled(offline, [...CATALOGUE, { ...provenance, needsRegistry: false }]),
    [],
  );
});

test("spec.network.internetEgress: deny unless the policy says allow; nothing else is accepted", () => {
  assert.equal(defaultPolicy().settings.internetEgress, "deny");
  const table: [unknown, "allow" | "deny"][] = [
    [{}, "deny"],
    [{ internetEgress: "deny" }, "deny"],
    [{ internetEgress: "allow" }, "allow"],
  ];
  for (const [network, expected] of table) {
    const policy = compilePolicy(policyWith({ network }));
    assert.equal(policy.settings.internetEgress, expected, JSON.stringify(network));
  }
  for (const network of [{ internetEgress: "yes" }, { internetEgress: true }, { other: 1 }]) {
    const problems = problemsOf(() => compilePolicy(policyWith({ network })));
    assert.ok(
      problems.some((p) => p.path.startsWith("spec.network")),
      JSON.stringify(problems),
    );
  }
});
