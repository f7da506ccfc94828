import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { INPUT_NAMES, readInputs, type InputName } from "../../action/inputs.ts";
import { WardenError } from "../../policies/errors.ts";
import { assertThrowsWithCode } from "../support/throws.ts";

const ROOT = new URL("../../", import.meta.url);
const actionYml = parse(readFileSync(new URL("action.yml", ROOT), "utf8")) as {
  runs: { using: string; main: string };
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description?: string }>;
};

/** Reads inputs as the runner hands them: action.yml's defaults, overridden by `given`. */
function inputs(given: Partial<Record<InputName, string>>) {
  return readInputs((name) => given[name] ?? actionYml.inputs[name]?.default ?? "");
}

describe("action.yml", () => {
  it("runs dist/index.js on node24", () => {
    assert.deepEqual(actionYml.runs, { using: "node24", main: "dist/index.js" });
  });

  it("declares exactly the inputs the entry reads, each described", () => {
    assert.deepEqual(Object.keys(actionYml.inputs).sort(), [...INPUT_NAMES].sort());
    for (const [name, input] of Object.entries(actionYml.inputs))
      assert.ok(
        input.description && input.description.length > 20,
        `input ${name} has a description`,
      );
    assert.equal(actionYml.inputs.image?.required, true);
  });

  it("describes every output the Action sets", () => {
    const run = readFileSync(new URL("action/run.ts", ROOT), "utf8");
    const set = [...run.matchAll(/setOutput\("([a-z-]+)"/g)].map((m) => m[1]);
    assert.deepEqual(Object.keys(actionYml.outputs).sort(), [...new Set(set)].sort());
    for (const [name, output] of Object.entries(actionYml.outputs))
      assert.ok(output.description, `output ${name} has a description`);
  });

  it("the README's usage block names every input and output of action.yml", () => {
    const readme = readFileSync(new URL("README.md", ROOT), "utf8");
    const usage = /<!-- action-usage -->([\s\S]*?)<!-- \/action-usage -->/.exec(readme)?.[1];
    assert.ok(usage, "README has an action-usage section");
    for (const name of [...Object.keys(actionYml.inputs), ...Object.keys(actionYml.outputs)])
      assert.match(usage, new RegExp(`\\b${name}\\b`), `README usage mentions ${name}`);
    const documented = [...usage.matchAll(/^ {6}([a-z-]+):/gm)].map((m) => m[1]);
    assert.deepEqual(
      documented.filter((n) => n !== "sarif_file").sort(),
      Object.keys(actionYml.inputs).sort(),
      "the usage example sets every input",
    );
    for (const name of documented.filter((n) => n !== "sarif_file"))
      assert.ok(
        name && name in actionYml.inputs,
        `README usage input ${name} exists in action.yml`,
      );
  });
});

describe("readInputs", () => {
  it("applies action.yml's defaults", () => {
    const read = inputs({ image: "ghcr.io/acme/weather:1.0.0" });
    assert.equal(read.manifest, "server.json");
    assert.equal(read.lockfiles, "detect");
    assert.equal(read.failOnSeverity, "high");
    assert.equal(read.minTrustLevel, "L2");
    assert.deepEqual(read.vulnerabilityDb, { kind: "api", url: "https://api.osv.dev" });
    assert.deepEqual(read.signing, {
      mode: "keyless",
      fulcioUrl: "https://fulcio.sigstore.dev",
      rekorUrl: "https://rekor.sigstore.dev",
      rekorEntryType: "dsse",
    });
    assert.equal(read.toolTimeoutMs, 60_000);
    assert.equal(read.ignoreFile, undefined);
  });

  it("reads lists, offline databases and key signing", () => {
    const read = inputs({
      image: "127.0.0.1:5000/acme/weather@sha256:" + "a".repeat(64),
      lockfiles: "package-lock.json,\nsrv/uv.lock",
      "vulnerability-db": "osv-db/npm.zip",
      signing: "key",
      key: "-----BEGIN PRIVATE KEY-----\n…",
      "tlog-upload": "true",
      "rekor-url": "http://127.0.0.1:3000",
      "insecure-registries": "registry.lan:5000, other:80",
    });
    assert.deepEqual(read.lockfiles, ["package-lock.json", "srv/uv.lock"]);
    assert.deepEqual(read.vulnerabilityDb, { kind: "offline", path: "osv-db/npm.zip" });
    assert.equal(read.signing.mode, "key");
    assert.equal(read.signing.mode === "key" && read.signing.rekorUrl, "http://127.0.0.1:3000");
    assert.deepEqual(read.registry.insecure, ["registry.lan:5000", "other:80"]);
  });

  it("write-manifest is false unless it is true", () => {
    assert.equal(inputs({ image: "x/y:1" }).writeManifest, false);
    assert.equal(inputs({ image: "x/y:1", "write-manifest": "true" }).writeManifest, true);
  });

  it("reports every bad input at once, by name", () => {
    const e = assertThrowsWithCode(
      () =>
        inputs({
          image: "",
          "fail-on-severity": "severe",
          signing: "key",
          "min-trust-level": "L9",
          "tool-timeout": "soon",
          "write-manifest": "yes",
          "fulcio-url": "http://fulcio.example",
        }),
      "USAGE",
      WardenError,
    );
    assert.deepEqual(
      e.problems.map((p) => p.path).sort(),
      [
        "input fail-on-severity",
        "input image",
        "input key",
        "input min-trust-level",
        "input tool-timeout",
        "input write-manifest",
      ].sort(),
    );
  });

  it("gateway-image needs kubernetes-manifests and kubernetes-namespace", () => {
    const gateway = `ghcr.io/mcp-warden/mcp-warden@sha256:${"b".repeat(64)}`;
    const read = inputs({
      image: "x/y:1",
      "kubernetes-manifests": "deploy",
      "kubernetes-namespace": "mcp-servers",
      "gateway-image": gateway,
    });
    assert.equal(read.gatewayImage, gateway);
    assert.equal(read.kubernetesNamespace, "mcp-servers");
    assert.equal(inputs({ image: "x/y:1" }).gatewayImage, undefined);
    const e = assertThrowsWithCode(
      () => inputs({ image: "x/y:1", "gateway-image": gateway }),
      "USAGE",
      WardenError,
    );
    assert.deepEqual(
      e.problems.map((p) => p.message),
      [
        "needs kubernetes-manifests",
        "needs kubernetes-namespace: the gateway's binding and grant name it",
      ],
    );
    assert.deepEqual(
      e.problems.map((p) => p.path),
      ["input gateway-image", "input gateway-image"],
    );
  });

  it("refuses plain http for signing services except on loopback", () => {
    assert.throws(
      () => inputs({ image: "x/y:1", "fulcio-url": "http://fulcio.example" }),
      (e: unknown) =>
        e instanceof WardenError && e.problems.some((p) => p.path === "input fulcio-url"),
    );
  });
});

describe("offline database age inputs", () => {
  it("warn after 7 days by default, with no maximum", () => {
    assert.deepEqual(inputs({ image: "ghcr.io/acme/x:v1" }).databaseAge, {
      warnAfterMs: 7 * 86_400_000,
    });
  });

  it("read ages in days and hours; anything else is refused naming the input", () => {
    assert.deepEqual(
      inputs({
        image: "ghcr.io/acme/x:v1",
        "vulnerability-db-warn-age": "36h",
        "vulnerability-db-max-age": "30d",
      }).databaseAge,
      { warnAfterMs: 36 * 3_600_000, failAfterMs: 30 * 86_400_000 },
    );
    const error = assertThrowsWithCode(
      () =>
        inputs({
          image: "ghcr.io/acme/x:v1",
          "vulnerability-db-warn-age": "a week",
          "vulnerability-db-max-age": "-1d",
        }),
      "USAGE",
      WardenError,
    );
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ["input vulnerability-db-warn-age", "input vulnerability-db-max-age"],
    );
  });
});

describe("the image's platform and the server's environment", () => {
  it("linux/amd64 and no variables by default", () => {
    const read = inputs({ image: "ghcr.io/acme/x:v1" });
    assert.deepEqual(read.platform, { os: "linux", architecture: "amd64" });
    assert.deepEqual(read.serverEnv, []);
  });

  it("reads os/arch/variant and names separated by commas or lines", () => {
    const read = inputs({
      image: "ghcr.io/acme/x:v1",
      platform: "linux/arm64/v8",
      "server-env": "SSL_CERT_FILE, HTTPS_PROXY\nNO_PROXY",
    });
    assert.deepEqual(read.platform, { os: "linux", architecture: "arm64", variant: "v8" });
    assert.deepEqual(read.serverEnv, ["SSL_CERT_FILE", "HTTPS_PROXY", "NO_PROXY"]);
  });

  it("a platform that is not os/arch and a value where a name belongs are refused by name", () => {
    const error = assertThrowsWithCode(
      () =>
        inputs({
          image: "ghcr.io/acme/x:v1",
          platform: "amd64",
          "server-env": "HTTPS_PROXY=http://proxy:3128",
        }),
      "USAGE",
      WardenError,
    );
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ["input platform", "input server-env"],
    );
  });

  it("the Action's own inputs and the runner's tokens are never passed to the server", () => {
    const error = assertThrowsWithCode(
      () =>
        inputs({
          image: "ghcr.io/acme/x:v1",
          "server-env": "INPUT_KEY, ACTIONS_ID_TOKEN_REQUEST_TOKEN, HTTPS_PROXY",
        }),
      "USAGE",
      WardenError,
    );
    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0]?.message ?? "", /^INPUT_KEY, ACTIONS_ID_TOKEN_REQUEST_TOKEN: /);
  });
});
