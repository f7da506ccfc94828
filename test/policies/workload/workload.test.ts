import assert from "node:assert/strict";
import { test } from "node:test";
import { WardenError } from "../../../policies/errors.ts";
import { fieldPath, parseFieldPath, pointerToFieldPath } from "../../../policies/field-path.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { inEveryKind } from "../../support/context.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

function problems(object: unknown): string[] {
  const e = assertThrowsWithCode(() => toWorkload(object), "WORKLOAD_INVALID", WardenError);
  return e.problems.map((p) => `${p.path}: ${p.message}`);
}

test("every kind locates its pod template and every container kind", () => {
  const spec = {
    containers: [{ name: "a", image: "x" }],
    initContainers: [{ name: "b", image: "y" }],
    ephemeralContainers: [{ name: "c", image: "z" }],
  };
  for (const { kind, object, specPath } of inEveryKind(spec)) {
    const w = toWorkload(object);
    assert.equal(w.kind, kind);
    assert.equal(w.specPath, specPath);
    assert.equal(w.metaPath, specPath.replace(/spec$/, "metadata"));
    // Jobs' pods also carry the labels the API server adds (see network.test.ts).
    const own = Object.fromEntries(
      Object.entries(w.podMeta.labels ?? {}).filter(
        ([k]) => !/(^|\/)(controller-uid|job-name)$/.test(k),
      ),
    );
    assert.deepEqual(own, { app: "x" });
    assert.equal(
      Object.keys(w.podMeta.labels ?? {}).length,
      kind === "Job" || kind === "CronJob" ? 5 : 1,
      kind,
    );
    assert.deepEqual(
      w.containers.map((c) => c.path),
      [
        `${specPath}.containers[0]`,
        `${specPath}.initContainers[0]`,
        `${specPath}.ephemeralContainers[0]`,
      ],
    );
  }
});

test("namespace defaults; generateName names pods created by controllers", () => {
  const w = toWorkload({
    kind: "Pod",
    metadata: { generateName: "srv-7d9f-" },
    spec: { containers: [] },
  });
  assert.equal(w.namespace, "default");
  assert.equal(w.name, "srv-7d9f-*");
});

test("a Deployment whose containers is a string cannot be evaluated", () => {
  assert.deepEqual(
    problems({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { template: { spec: { containers: "nginx" } } },
    }),
    ["spec.template.spec.containers: must be array"],
  );
});

test("every shape problem is reported at once, with its path", () => {
  const got = problems({
    kind: "CronJob",
    metadata: { name: 3, labels: { a: 1 } },
    spec: {
      jobTemplate: {
        spec: {
          template: {
            metadata: { annotations: { "mcp-warden.dev/exception": ["x"] } },
            spec: {
              hostNetwork: "yes",
              containers: [
                { name: "a", securityContext: { runAsUser: "0" }, env: [{ name: "X", value: 5 }] },
              ],
            },
          },
        },
      },
    },
  });
  assert.deepEqual(got.sort(), [
    "metadata.labels.a: must be string",
    "metadata.name: must be string",
    'spec.jobTemplate.spec.template.metadata.annotations["mcp-warden.dev/exception"]: must be string',
    "spec.jobTemplate.spec.template.spec.containers[0].env[0].value: must be string",
    "spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsUser: must be integer",
    "spec.jobTemplate.spec.template.spec.hostNetwork: must be boolean",
  ]);
});

test("missing templates and specs are named", () => {
  assert.deepEqual(problems({ kind: "Deployment", metadata: { name: "x" }, spec: {} }), [
    "spec.template: is required",
  ]);
  assert.deepEqual(problems({ kind: "Pod", metadata: { name: "x" } }), ["spec: is required"]);
  assert.deepEqual(problems({ kind: "Job", spec: { template: "x" } }), [
    "spec.template: must be object",
  ]);
});

test("non-workload kinds are refused", () => {
  assertThrowsWithCode(() => toWorkload({ kind: "Service" }), "WORKLOAD_INVALID", WardenError);
  assert.throws(
    () => toWorkload("Pod"),
    (e: unknown) => e instanceof WardenError,
  );
});

test("field paths round-trip", () => {
  const segments = ["spec", "template", "metadata", "annotations", "mcp-warden.dev/exception"];
  const path = fieldPath("", ...segments);
  assert.equal(path, 'spec.template.metadata.annotations["mcp-warden.dev/exception"]');
  assert.deepEqual(parseFieldPath(path), segments);
  assert.deepEqual(parseFieldPath("spec.containers[12].env[0].value"), [
    "spec",
    "containers",
    12,
    "env",
    0,
    "value",
  ]);
  assert.equal(pointerToFieldPath("spec", "/containers/0/a~1b"), 'spec.containers[0]["a/b"]');
});
