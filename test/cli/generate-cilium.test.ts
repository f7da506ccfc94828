/** `mcp-warden generate --network cilium` as a user runs it: its output passes `check`. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { runCli } from "../support/cli.ts";

const PINNED = `ghcr.io/acme/server-filesystem@sha256:${"3f0c1e6b0a7d2c4e".repeat(4)}`;
const dir = await mkdtemp(join(tmpdir(), "mcp-warden-generate-cilium-"));

/** The filesystem server's manifest, declaring two hosts by name. */
async function manifestWithHosts(): Promise<string> {
  const manifest = JSON.parse(
    await readFile("test/fixtures/mcp/server-filesystem.server.json", "utf8"),
  ) as { _meta: Record<string, { egress: unknown[] }> };
  manifest._meta["dev.mcp-warden/permissions"]!.egress = [
    { host: "api.github.com", ports: [443] },
    { host: "*.googleapis.com", ports: [443] },
  ];
  const file = join(dir, "server.json");
  await writeFile(file, JSON.stringify(manifest, null, 2));
  return file;
}

test("generate --network cilium writes a CiliumNetworkPolicy too, and the whole passes check", async () => {
  const manifest = await manifestWithHosts();
  const r = await runCli([
    "generate",
    "--manifest",
    manifest,
    "--image",
    PINNED,
    "--network",
    "cilium",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map(
    (d) => d.toJS() as { kind: string; spec: { egress?: { toFQDNs?: unknown[] }[] } },
  );
  assert.deepEqual(
    docs.map((d) => d.kind),
    ["ServiceAccount", "Deployment", "NetworkPolicy", "CiliumNetworkPolicy"],
  );
  assert.deepEqual(
    docs[3]!.spec.egress?.flatMap((e) => e.toFQDNs ?? []),
    // the manifest's permissions come sorted, as the evaluation records them
    [{ matchPattern: "*.googleapis.com" }, { matchName: "api.github.com" }],
  );
  const file = join(dir, "generated.yaml");
  await writeFile(file, r.stdout);
  const checked = await runCli(["check", file, "--format", "json"]);
  assert.equal(checked.code, 0, checked.stdout);
  const report = JSON.parse(checked.stdout) as {
    results: { kind: string; allowed: boolean; findings: unknown[] }[];
  };
  assert.deepEqual(
    report.results.map((x) => [x.kind, x.allowed, x.findings]),
    [["Deployment", true, []]],
  );
});

test("--network takes kubernetes or cilium, nothing else (exit 2)", async () => {
  const manifest = await manifestWithHosts();
  const r = await runCli([
    "generate",
    "--manifest",
    manifest,
    "--image",
    PINNED,
    "--network",
    "calico",
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--network must be kubernetes or cilium, not calico/);
});
