import assert from "node:assert/strict";
import { test } from "node:test";
import { quantitySign } from "../../../policies/workload/quantity.ts";

test("quantities as the API server reads them: zero in any unit, negative, or not a quantity", () => {
  const cases: [unknown, ReturnType<typeof quantitySign>][] = [
    ["0", "zero"],
    ["0m", "zero"],
    ["0Mi", "zero"],
    ["000.000Ei", "zero"],
    ["0e9", "zero"],
    ["-0", "zero"],
    ["+0n", "zero"],
    [0, "zero"],
    ["1", "positive"],
    ["0.001m", "positive"],
    ["1.5Gi", "positive"],
    ["2E", "positive"],
    ["2e-3", "positive"],
    [".5", "positive"],
    ["5.", "positive"],
    [0.25, "positive"],
    ["-1", "negative"],
    ["-2Gi", "negative"],
    [-3, "negative"],
    ["", undefined],
    ["Gi", undefined],
    ["1 Gi", undefined],
    ["1gi", undefined],
    ["1KiB", undefined],
    ["0x10", undefined],
    ["1e", undefined],
    [".", undefined],
    [Number.NaN, undefined],
    [true, undefined],
    [null, undefined],
  ];
  for (const [value, sign] of cases) {
    assert.equal(quantitySign(value), sign, JSON.stringify(value));
  }
});
