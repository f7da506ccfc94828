import assert from "node:assert/strict";
import { test } from "node:test";
import { ActionError } from "../../action/errors.ts";
import { CliError } from "../../cli/errors.ts";
import { errorMessage, InputError, WardenError } from "../../policies/errors.ts";
import { McpServerError } from "../../supply-chain/mcp/errors.ts";
import { RegistryError } from "../../supply-chain/registry/errors.ts";
import { ScanError } from "../../supply-chain/scan/errors.ts";
import { ZipError } from "../../supply-chain/scan/osv/zip.ts";
import { CosignKeyError } from "../../supply-chain/sign/cosign-key.ts";
import { KeylessError } from "../../supply-chain/verify/keyless.ts";
import { TufRootError } from "../../supply-chain/verify/tuf-root.ts";
import { DeadlineExceeded } from "../../webhook/decide.ts";

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

test("every layer's error class is built the same way and caught as the one base", () => {
  const problems = [{ path: "auths", message: "must be a mapping" }];
  const cause = new Error("underlying");
  const options = { problems, cause };
  const errors: [WardenError, string][] = [
    [new InputError("INPUT_INVALID", "m", options), "InputError"],
    [new ScanError("LOCKFILE_INVALID", "m", options), "ScanError"],
    [new McpServerError("MCP_SERVER_FAILED", "m", options), "McpServerError"],
    [new CliError("USAGE", "m", options), "CliError"],
    [new ActionError("SIGNING_FAILED", "m", options), "ActionError"],
    [new RegistryError("CREDENTIALS_INVALID", "m", options), "RegistryError"],
    [new ZipError("ZIP_INVALID", "m", options), "ZipError"],
    [new TufRootError("TUF_METADATA_EXPIRED", "m", options), "TufRootError"],
    [new KeylessError("TRUSTED_ROOT_INVALID", "m", options), "KeylessError"],
    [new CosignKeyError("WRONG_PASSWORD", "m", options), "CosignKeyError"],
    [new DeadlineExceeded("DEADLINE_EXCEEDED", "m", options), "DeadlineExceeded"],
  ];
  for (const [e, name] of errors) {
    assert.ok(e instanceof WardenError, name);
    assert.equal(e.name, name);
    assert.equal(e.cause, cause, name);
    assert.deepEqual(e.problems, problems, name);
    assert.equal(e.describe(), "m\n  auths: must be a mapping", name);
  }
});

test("crypto and trust failures are not bad input", () => {
  for (const e of [
    new KeylessError("TRUSTED_ROOT_INVALID", "m"),
    new CosignKeyError("WRONG_PASSWORD", "m"),
    new TufRootError("TUF_SIGNATURE_INVALID", "m"),
  ])
    assert.equal(e instanceof InputError, false, e.name);
});

test("a registry error keeps its details beside the shared fields", () => {
  const e = new RegistryError("UNAUTHORIZED", "no credentials", {
    registry: "registry.local:5000",
    repository: "acme/server",
    operation: "resolve",
    status: 401,
  });
  assert.equal(e.code, "UNAUTHORIZED");
  assert.deepEqual(
    [e.registry, e.repository, e.operation, e.status],
    ["registry.local:5000", "acme/server", "resolve", 401],
  );
  assert.deepEqual(e.problems, []);
});
