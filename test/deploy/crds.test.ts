import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { renderCrds } from "../../scripts/generate-crds.ts";

test("deploy/crds/ is what the engine's schemas render (run scripts/generate-crds.ts --write)", () => {
  for (const [name, text] of Object.entries(renderCrds())) {
    assert.equal(
      readFileSync(new URL(`../../deploy/crds/${name}`, import.meta.url), "utf8"),
      text,
      name,
    );
  }
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
