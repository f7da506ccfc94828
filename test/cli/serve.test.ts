/** `mcp-warden serve` refuses bad start-up inputs before it listens. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/cli.ts";

async function rootFile(root: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-warden-serve-"));
  after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "trusted_root.json");
  await writeFile(file, JSON.stringify(root));
  return file;
}

function serve(trustedRoot: string) {
  // TLS files are read only after the arguments are checked; they need not exist here.
  return runCli([
    "serve",
    "--tls-cert",
    "c.pem",
    "--tls-key",
    "k.pem",
    "--trusted-root",
    trustedRoot,
  ]);
}

test("a trusted root that is not a sigstore TrustedRoot stops serve at start-up", async () => {
  const file = await rootFile({ mediaType: "text/plain", tlogs: "none" });
  const { code, stderr } = await serve(file);
  assert.equal(code, 2);
  assert.ok(stderr.includes(file), stderr);
  assert.match(stderr, /the trusted root is invalid/);
  assert.match(stderr, /mediaType: must be one of/);
  assert.match(stderr, /tlogs: must be an array/);
});

test("a trusted root that can vouch for no certificate stops serve at start-up", async () => {
  const file = await rootFile({
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [],
    ctlogs: [],
    certificateAuthorities: [],
    timestampAuthorities: [],
  });
  const { code, stderr } = await serve(file);
  assert.equal(code, 2);
  assert.match(stderr, /keyless verification thresholds cannot be met/);
  assert.match(stderr, /certificateAuthorities: the trusted root has no certificate authority/);
});
