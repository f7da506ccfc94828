import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { readInputs, type InputName } from "../../action/inputs.ts";
import { run } from "../../action/run.ts";
import { RegistryError } from "../../supply-chain/registry/errors.ts";

const actionYml = parse(readFileSync(new URL("../../action.yml", import.meta.url), "utf8")) as {
  inputs: Record<string, { default?: string }>;
};

test("a registry failure keeps the registry's code and cause, naming the image", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mcp-warden-run-errors-"));
  try {
    const given: Partial<Record<InputName, string>> = {
      image: "127.0.0.1:9/acme/x:1",
      signing: "none",
    };
    const inputs = readInputs((name) => given[name] ?? actionYml.inputs[name]?.default ?? "");
    const quiet = () => undefined;
    await assert.rejects(
      run(inputs, {
        now: () => new Date("2026-01-31T00:00:00Z"),
        tempDir: dir,
        workspace: dir,
        oidcAvailable: false,
        idToken: () => Promise.reject(new Error("no OIDC here")),
        evaluator: { name: "mcp-warden", version: "0.0.0" },
        reporter: {
          info: quiet,
          warning: quiet,
          error: quiet,
          setOutput: quiet,
          summary: () => Promise.resolve(),
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
        assert.equal(e.code, "UNREACHABLE");
        assert.ok(e.cause instanceof RegistryError);
        assert.equal(e.cause.code, "UNREACHABLE");
        assert.ok(e.message.startsWith("image 127.0.0.1:9/acme/x:1: "), e.message);
        return true;
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
