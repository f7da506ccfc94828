import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { CRD_DIRS, renderCrds } from "../../scripts/generate-crds.ts";

test("deploy/crds/ and the Helm chart's crds/ are what the engine's schemas render (run scripts/generate-crds.ts --write)", () => {
  assert.deepEqual(CRD_DIRS, ["deploy/crds", "deploy/helm/mcp-warden/crds"]);
  for (const dir of CRD_DIRS) {
    const expected = renderCrds();
    assert.deepEqual(
      readdirSync(new URL(`../../${dir}`, import.meta.url)).sort(),
      Object.keys(expected).sort(),
      dir,
    );
    for (const [name, text] of Object.entries(expected)) {
      assert.equal(
        readFileSync(new URL(`../../${dir}/${name}`, import.meta.url), "utf8"),
        text,
        `${dir}/${name}`,
      );
    }
  }
});

test("the CRDs are structural: every property and item schema names its type", () => {
  // The API server rejects a CRD whose object fields carry no type (an enum alone is not enough).
  const missing: string[] = [];
  const visit = (schema: unknown, path: string): void => {
    if (typeof schema !== "object" || schema === null) return;
    const s = schema as Record<string, unknown>;
    const typeless =
      s.type === undefined &&
      s["x-kubernetes-int-or-string"] !== true &&
      s["x-kubernetes-preserve-unknown-fields"] !== true &&
      s.anyOf === undefined &&
      s.oneOf === undefined;
    if (typeless) missing.push(path);
    const props = s.properties;
    if (typeof props === "object" && props !== null) {
      for (const [k, v] of Object.entries(props)) visit(v, `${path}.${k}`);
    }
    if (s.items !== undefined) visit(s.items, `${path}[]`);
    if (typeof s.additionalProperties === "object") visit(s.additionalProperties, `${path}{}`);
  };
  for (const [name, text] of Object.entries(renderCrds())) {
    const crd = parse(text) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
    visit(crd.spec.versions[0]!.schema.openAPIV3Schema, name);
  }
  assert.deepEqual(missing, []);
});

test("the CRDs are structural: no additionalProperties: false anywhere", () => {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== "object" || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      assert.ok(!(k === "additionalProperties" && v === false));
      walk(v);
    }
  };
  for (const text of Object.values(renderCrds())) {
    const crd = parse(text) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
    walk(crd.spec.versions[0]!.schema.openAPIV3Schema);
  }
});
