import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { sandboxRules } from "../../../policies/workload/rules/sandbox.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";

const rule = (id: string) => {
  const r = sandboxRules.find((x) => x.id === id);
  assert.ok(r, id);
  return r;
};

const goodContainer = {
  name: "app",
  image: "x",
  securityContext: { readOnlyRootFilesystem: true },
  resources: { limits: { cpu: "500m", memory: "128Mi" } },
};

const cases: {
  rule: string;
  name: string;
  spec: Record<string, unknown>;
  paths: string[];
  settings?: { allowPersistentVolumeClaims: boolean };
}[] = [
  {
    rule: "sandbox/read-only-root-filesystem",
    name: "read-only",
    spec: { containers: [goodContainer] },
    paths: [],
  },
  {
    rule: "sandbox/read-only-root-filesystem",
    name: "init container writable",
    spec: {
      containers: [goodContainer],
      initContainers: [
        { name: "init", image: "x", securityContext: { readOnlyRootFilesystem: false } },
      ],
    },
    paths: ["initContainers[0].securityContext.readOnlyRootFilesystem"],
  },
  {
    rule: "sandbox/read-only-root-filesystem",
    name: "ephemeral containers are exempt",
    spec: { containers: [goodContainer], ephemeralContainers: [{ name: "debug", image: "x" }] },
    paths: [],
  },
  {
    rule: "sandbox/read-only-root-filesystem",
    name: "a Windows pod, where the API server forbids the field, is exempt",
    spec: {
      os: { name: "windows" },
      containers: [{ ...goodContainer, securityContext: {} }],
    },
    paths: [],
  },
  {
    rule: "sandbox/read-only-root-filesystem",
    name: "a Linux pod is not",
    spec: { os: { name: "linux" }, containers: [{ ...goodContainer, securityContext: {} }] },
    paths: ["containers[0].securityContext.readOnlyRootFilesystem"],
  },
  {
    rule: "sandbox/resource-limits",
    name: "limits set",
    spec: { containers: [goodContainer] },
    paths: [],
  },
  {
    rule: "sandbox/resource-limits",
    name: "memory missing, cpu zero",
    spec: {
      containers: [
        { ...goodContainer, resources: { limits: { cpu: "0" }, requests: { memory: "1Gi" } } },
      ],
    },
    paths: ["containers[0].resources.limits.cpu", "containers[0].resources.limits.memory"],
  },
  ...["0m", "0Mi", "0.0", "0e3", "-0", ".0Gi", 0].map((zero) => ({
    rule: "sandbox/resource-limits",
    name: `zero in another unit: ${JSON.stringify(zero)} is no limit`,
    spec: {
      containers: [{ ...goodContainer, resources: { limits: { cpu: zero, memory: "128Mi" } } }],
    },
    paths: ["containers[0].resources.limits.cpu"],
  })),
  ...["-1", "1 Gi", "1gi", "0x10", "1e", "Mi", ""].map((bad) => ({
    rule: "sandbox/resource-limits",
    name: `not a quantity or negative: ${JSON.stringify(bad)}`,
    spec: {
      containers: [{ ...goodContainer, resources: { limits: { cpu: "500m", memory: bad } } }],
    },
    paths: ["containers[0].resources.limits.memory"],
  })),
  ...["1m", "0.5", "1e3", "1Ki", "100Mi", "+2", 1].map((ok) => ({
    rule: "sandbox/resource-limits",
    name: `a positive quantity: ${JSON.stringify(ok)}`,
    spec: {
      containers: [{ ...goodContainer, resources: { limits: { cpu: ok, memory: "64Mi" } } }],
    },
    paths: [],
  })),
  {
    rule: "sandbox/resource-limits",
    name: "init container without limits",
    spec: { containers: [goodContainer], initContainers: [{ name: "init", image: "x" }] },
    paths: ["initContainers[0].resources.limits.cpu", "initContainers[0].resources.limits.memory"],
  },
  {
    rule: "sandbox/resource-limits",
    name: "ephemeral containers cannot carry resources",
    spec: { containers: [goodContainer], ephemeralContainers: [{ name: "debug", image: "x" }] },
    paths: [],
  },
  {
    rule: "sandbox/volume-isolation",
    name: "emptyDir",
    spec: { containers: [goodContainer], volumes: [{ name: "tmp", emptyDir: {} }] },
    paths: [],
  },
  {
    rule: "sandbox/volume-isolation",
    name: "persistentVolumeClaim",
    spec: {
      containers: [goodContainer],
      volumes: [
        { name: "tmp", emptyDir: {} },
        { name: "data", persistentVolumeClaim: { claimName: "shared" } },
      ],
    },
    paths: ["volumes[1].persistentVolumeClaim"],
  },
  {
    rule: "sandbox/volume-isolation",
    name: "persistentVolumeClaim allowed by policy",
    spec: {
      containers: [goodContainer],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: "shared" } }],
    },
    paths: [],
    settings: { allowPersistentVolumeClaims: true },
  },
  {
    rule: "sandbox/service-account-token",
    name: "automount off",
    spec: { automountServiceAccountToken: false, containers: [goodContainer] },
    paths: [],
  },
  {
    rule: "sandbox/service-account-token",
    name: "automount unset",
    spec: { containers: [goodContainer] },
    paths: ["automountServiceAccountToken"],
  },
  {
    rule: "sandbox/service-account-token",
    name: "automount true",
    spec: { automountServiceAccountToken: true, containers: [goodContainer] },
    paths: ["automountServiceAccountToken"],
  },
];

for (const c of cases) {
  for (const { kind, object, specPath } of inEveryKind(c.spec)) {
    test(`${c.rule}: ${c.name} (${kind})`, () => {
      const findings = rule(c.rule).check(contextFor(object, { settings: c.settings }));
      assert.deepEqual(
        findings.map((f) => f.path),
        c.paths.map((p) => `${specPath}.${p}`),
      );
      for (const f of findings) assert.equal(f.rule, c.rule);
    });
  }
}

test("every sandbox rule has a passing and a failing case", () => {
  for (const r of sandboxRules) {
    assert.ok(
      cases.some((c) => c.rule === r.id && c.paths.length === 0),
      `${r.id} passing`,
    );
    assert.ok(
      cases.some((c) => c.rule === r.id && c.paths.length > 0),
      `${r.id} failing`,
    );
  }
});

test("sandbox/service-account-token names the projected-token route, which passes", () => {
  const [finding] = rule("sandbox/service-account-token").check(
    contextFor({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [goodContainer] },
    }),
  );
  assert.match(finding?.message ?? "", /must set automountServiceAccountToken=false/);
  assert.match(
    finding?.message ?? "",
    /projected serviceAccountToken volume with that service's audience and a short expirationSeconds/,
  );
  // The route the message names: automount off, a projected token for another audience.
  const projected = {
    automountServiceAccountToken: false,
    containers: [goodContainer],
    volumes: [
      {
        name: "token",
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: "sts.example.com",
                expirationSeconds: 3600,
                path: "token",
              },
            },
          ],
        },
      },
    ],
  };
  for (const { kind, object } of inEveryKind(projected)) {
    assert.deepEqual(rule("sandbox/service-account-token").check(contextFor(object)), [], kind);
  }
});

test("sandbox/volume-isolation judges a StatefulSet's volumeClaimTemplates, which become claims in its pods", () => {
  const statefulSet = (settings?: { allowPersistentVolumeClaims: boolean }) =>
    rule("sandbox/volume-isolation").check(
      contextFor(
        parse(
          readFileSync(
            new URL("../../fixtures/workloads/statefulset-claim-templates.yaml", import.meta.url),
            "utf8",
          ),
        ),
        { settings },
      ),
    );
  const findings = statefulSet();
  assert.deepEqual(
    findings.map((f) => f.path),
    ["spec.volumeClaimTemplates[0]"],
  );
  assert.match(findings[0]?.message ?? "", /volume claim template "data"/);
  assert.deepEqual(statefulSet({ allowPersistentVolumeClaims: true }), []);
});
