import assert from "node:assert/strict";
import { test } from "node:test";
import { CliError } from "../../cli/errors.ts";
import { oneOf } from "../../cli/options.ts";
import { parseServeArgs, type ServeEnv } from "../../cli/serve.ts";
import { WardenError } from "../../policies/errors.ts";

test("an enum flag returns its value when it is one of the allowed", () => {
  assert.equal(oneOf("format", "json", ["text", "json", "sarif"]), "json");
});

test("an enum flag outside the allowed values is a usage error naming the flag and the values", () => {
  assert.throws(
    () => oneOf("fail-on-severity", "severe", ["critical", "high", "medium", "low", "none"]),
    (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.ok(e instanceof WardenError);
      assert.equal(e.code, "USAGE");
      assert.equal(
        e.message,
        "--fail-on-severity severe is not one of critical, high, medium, low, none",
      );
      return true;
    },
  );
});

const env: ServeEnv = {
  inCluster: false,
  kubeconfig: undefined,
  waitForShutdown: () => new Promise<string>(() => undefined),
  stdout: () => undefined,
};
const tls = ["--tls-cert", "cert.pem", "--tls-key", "key.pem", "--policy-name", "default"];

test("serve takes the shared registry options", async () => {
  const inputs = await parseServeArgs(
    [...tls, "--insecure-registry", "registry.local:5000", "--insecure-registry", "other:5000"],
    env,
  );
  assert.deepEqual(inputs.insecureRegistries, ["registry.local:5000", "other:5000"]);
  assert.equal(inputs.trustedRoot, undefined);
  assert.equal(inputs.registryCredentials, undefined);
});

test("serve refuses --registry-timeout: its registry calls share the admission deadline", async () => {
  await assert.rejects(parseServeArgs([...tls, "--registry-timeout", "5000"], env), {
    code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
  });
});
