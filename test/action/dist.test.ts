import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../support/cli.ts";

const run = promisify(execFile);

test("the committed dist/index.js is the bundle of the current sources", async () => {
  // Rebuilds in memory with the locked esbuild and compares byte for byte.
  const { stdout } = await run(process.execPath, ["scripts/build-action.ts", "--check"], {
    cwd: ROOT,
    timeout: 120_000,
  }).catch((e: { stdout?: string; stderr?: string }) => {
    assert.fail(`${e.stderr ?? ""}${e.stdout ?? ""}`);
  });
  assert.match(stdout, /dist\/index\.js is current/);
});
