import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { jsonRepeatsKeys } from "../../policies/json-keys.ts";

const repeats = (text: string) => jsonRepeatsKeys(text, JSON.parse(text));

test("a key given twice in one object is found at any depth; colons and quotes in strings are not keys", () => {
  assert.equal(repeats('{"a":1,"a":2}'), true);
  assert.equal(repeats('{"x":[{"n":"s","n":"t"}]}'), true);
  assert.equal(repeats('{"a":{"b":1},"a":{"b":1}}'), true);
  assert.equal(repeats('{"__proto__":1,"__proto__":2}'), true);
  assert.equal(repeats('{"a":"x:y","b":"\\":\\\\","c":[":"]}'), false);
  assert.equal(repeats('{"a":{"a":{"a":1}}}'), false);
  assert.equal(repeats('[{"a":1},{"a":1}]'), false);
  assert.equal(repeats('"a:b"'), false);
});

test("what JSON.stringify writes never repeats a key", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      assert.equal(jsonRepeatsKeys(JSON.stringify(v), v), false);
    }),
    { seed: 20261205, numRuns: 300 },
  );
});
