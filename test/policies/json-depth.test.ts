import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { jsonDepthExceeds } from "../../policies/json-depth.ts";

/** The nesting of a parsed value: 0 for a scalar, 1 for a flat object or array. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce((m: number, c) => Math.max(m, depthOf(c)), 0);
}

test("brackets inside strings do not nest, whatever the escapes before the closing quote", () => {
  assert.equal(jsonDepthExceeds('{"a":"[[[[{{{{"}', 1), false);
  assert.equal(jsonDepthExceeds('{"a":"\\"[[[["}', 1), false);
  // An escaped backslash ends the string: the brackets after it nest.
  assert.equal(jsonDepthExceeds('{"a":"\\\\",[[["x"]]]}', 3), true);
  assert.equal(jsonDepthExceeds('{"a":"\\\\\\"[[["}', 1), false);
  assert.equal(jsonDepthExceeds('[[["\\u005b"]]]', 3), false);
  assert.equal(jsonDepthExceeds('[[["\\u005b"]]]', 2), true);
  assert.equal(jsonDepthExceeds('"[[[', 0), false); // unterminated: left to the parser
});

test("agrees with the depth of what JSON.parse reads, on any JSON text", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
      const text = JSON.stringify(value);
      assert.equal(jsonDepthExceeds(text, max), depthOf(JSON.parse(text)) > max);
    }),
    { seed: 20261206, numRuns: 2000 },
  );
});
