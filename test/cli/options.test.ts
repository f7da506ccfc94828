import assert from "node:assert/strict";
import { test } from "node:test";
import { CliError } from "../../cli/errors.ts";
import { oneOf, parseOptions } from "../../cli/options.ts";
import { closest, editDistance } from "../../cli/suggest.ts";
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
    name: "CliError",
    code: "USAGE",
    message: "unknown option --registry-timeout",
  });
});

const OPTIONS = {
  format: { type: "string", default: "text" },
  policy: { type: "string" },
  "trust-inputs": { type: "boolean", default: false },
} as const;

/** The usage error parseOptions raises for these arguments. */
function usageError(args: string[], allowPositionals = true): string {
  try {
    parseOptions({ args, strict: true, allowPositionals, options: OPTIONS });
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    assert.equal(e.code, "USAGE");
    assert.doesNotMatch(e.message, /\n/, "one line");
    return e.message;
  }
  assert.fail(`${args.join(" ")} parsed`);
}

test("parseOptions reads what parseArgs reads", () => {
  const { values, positionals } = parseOptions({
    args: ["a.yaml", "--format=json", "--trust-inputs", "--policy", "-", "--", "--b"],
    strict: true,
    allowPositionals: true,
    options: OPTIONS,
  });
  assert.deepEqual({ ...values }, { format: "json", "trust-inputs": true, policy: "-" });
  assert.deepEqual(positionals, ["a.yaml", "--b"]);
});

test("parseOptions says in one line what is wrong, in the user's terms, not the parser's", () => {
  assert.equal(usageError(["--fromat", "json"]), "unknown option --fromat; did you mean --format?");
  assert.equal(usageError(["--polcy=x"]), "unknown option --polcy; did you mean --policy?");
  assert.equal(usageError(["--verbose"]), "unknown option --verbose");
  assert.equal(usageError(["-x"]), "unknown option -x");
  assert.equal(usageError(["a", "--format"]), "--format needs a value");
  assert.equal(
    usageError(["--policy", "--trust-inputs"]),
    "--policy needs a value, but the option --trust-inputs follows it",
  );
  assert.equal(usageError(["--trust-inputs=yes"]), "--trust-inputs takes no value");
  assert.equal(
    usageError(["--format", "json", "extra"], false),
    'unexpected argument "extra": this command takes options only',
  );
  for (const args of [["--fromat"], ["-x"], ["extra"]]) {
    assert.doesNotMatch(usageError(args, false), /To specify|positional|'--/);
  }
});

test("the closest of a list to a mistyped word, when it is close enough to be a typo", () => {
  assert.equal(editDistance("chekc", "check"), 1, "a swap of neighbours is one edit");
  assert.equal(editDistance("", "abc"), 3);
  assert.deepEqual(closest("chek", ["check", "verify", "serve"]), ["check"]);
  assert.deepEqual(closest("serv", ["check", "verify", "serve"]), ["serve"]);
  assert.deepEqual(closest("frobnicate", ["check", "verify", "serve"]), []);
  assert.deepEqual(closest("--fromat", ["--format", "--from"]), ["--format"]);
});
