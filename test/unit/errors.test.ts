import assert from "node:assert/strict";
import { test } from "node:test";
import { errorMessage, InputError, WardenError } from "../../policies/errors.ts";

test("an error carries its code, cause and every field problem", () => {
  const cause = new Error("underlying");
  const problems = [
    { path: "spec.rules", message: "must be a mapping" },
    { path: "spec.images", message: "unknown field" },
  ];
  const e = new InputError("POLICY_INVALID", "policy.yaml: not a valid policy", {
    problems,
    cause,
  });
  assert.ok(e instanceof WardenError);
  assert.ok(e instanceof Error);
  assert.equal(e.name, "InputError");
  assert.equal(e.code, "POLICY_INVALID");
  assert.equal(e.cause, cause);
  assert.deepEqual(e.problems, problems);
});

test("without options an error has no cause and no problems", () => {
  const e = new InputError("INPUT_INVALID", "bad");
  assert.equal("cause" in e, false);
  assert.deepEqual(e.problems, []);
});

test("describe() is the message and one indented line per problem", () => {
  const e = new InputError("WORKLOAD_INVALID", "Deployment cannot be evaluated", {
    problems: [
      { path: "spec.template", message: "is missing" },
      { path: "metadata.name", message: "must be a string" },
    ],
  });
  assert.equal(
    e.describe(),
    "Deployment cannot be evaluated\n  spec.template: is missing\n  metadata.name: must be a string",
  );
  assert.equal(new InputError("INPUT_INVALID", "only the message").describe(), "only the message");
});

test("errorMessage() reads an Error's message and anything else as a string", () => {
  assert.equal(errorMessage(new TypeError("boom")), "boom");
  assert.equal(errorMessage("plain"), "plain");
  assert.equal(errorMessage(42), "42");
  assert.equal(errorMessage(undefined), "undefined");
});
