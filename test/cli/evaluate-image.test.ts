/**
 * `mcp-warden evaluate --image`: the packages installed in the image itself are scanned (control
 * SC-04), with no lockfile beside the manifest. Images are real npm installs of a published
 * server, pushed to the real registry.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import type { CycloneDxBom } from "../../supply-chain/sbom/cyclonedx.ts";
import { cycloneDxValidator } from "../support/cyclonedx.ts";
import { runCli, ROOT } from "../support/cli.ts";
import { pushLayers } from "../support/images.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
import { SKIP_NO_REGISTRY, startRegistry } from "../support/registry-server.ts";
import type { RegistryServer } from "../support/registry-server.ts";

const run = promisify(execFile);
const FIXTURES = join(ROOT, "test", "fixtures");
const OSV = join(FIXTURES, "osv", "npm");

describe("mcp-warden evaluate --image", { skip: SKIP_NO_REGISTRY, timeout: 300_000 }, () => {
  let registry: RegistryServer;
  let dir: string;
  before(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-evaluate-image-"));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A workspace with server.json only, and the server's install pushed as an image. */
  async function release(server: typeof NPM_SERVERS.filesystemOld | typeof NPM_SERVERS.filesystem) {
    const entry = await installNpmServer(server);
    const prefix = entry.slice(0, entry.indexOf("/node_modules/"));
    const { stdout } = await run(
      "tar",
      ["-C", prefix, "-cf", "-", "--owner=0", "--group=0", "--transform=s,^,app/,", "node_modules"],
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
    );
    const built = await pushLayers(
      new RegistryClient(),
      `${registry.host}/servers/filesystem`,
      server.version,
      [{ tar: stdout }],
      { config: { Entrypoint: ["node", `/app/node_modules/${server.name}/dist/index.js`] } },
    );
    const ws = join(dir, server.version);
    await mkdir(join(ws, "data"), { recursive: true });
    const manifest = JSON.parse(
      await readFile(join(FIXTURES, "mcp", "server-filesystem.server.json"), "utf8"),
    ) as { version: string; _meta: Record<string, unknown> };
    manifest.version = server.version;
    manifest._meta["dev.mcp-warden/tools"] = JSON.parse(
      await readFile(
        join(FIXTURES, "mcp", `server-filesystem@${server.version}.tools.json`),
        "utf8",
      ),
    ) as unknown;
    manifest._meta["dev.mcp-warden/stdio"] = {
      command: process.execPath,
      args: [entry, join(ws, "data")],
    };
    await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
    return { ws, ref: built.ref, digest: built.digest };
  }

  test("the vulnerable server inside the image fails SC-04, no lockfile given", async () => {
    const { ws, ref, digest } = await release(NPM_SERVERS.filesystemOld);
    const r = await runCli(
      ["evaluate", "--image", ref, "--vulnerability-db", OSV, "--format", "json"],
      { cwd: ws },
    );
    assert.equal(r.code, 1, r.stderr);
    const predicate = parsePredicate(JSON.parse(r.stdout));
    const sc02 = predicate.controls.find((c) => c.id === "SC-02");
    assert.equal(sc02?.status, "skip", "no lockfile beside the manifest");
    const sc04 = predicate.controls.find((c) => c.id === "SC-04");
    assert.equal(sc04?.status, "fail");
    assert.match(sc04?.notes ?? "", new RegExp(`evidence: image inventory of .*${digest}`));
    assert.match(sc04?.notes ?? "", /\d+ npm/);
    const locations = sc04?.findings.map((f) => f.location) ?? [];
    assert.ok(
      locations.includes("/app/node_modules/@modelcontextprotocol/server-filesystem/package.json"),
      locations.join("\n"),
    );
    const cves = predicate.vulnerabilities.flatMap((v) => v.aliases).sort();
    assert.ok(cves.includes("CVE-2025-53109") && cves.includes("CVE-2025-53110"), cves.join());
    assert.equal(predicate.verdict, "fail");

    const text = await runCli(["evaluate", "--image", ref, "--vulnerability-db", OSV], {
      cwd: ws,
    });
    assert.match(text.stdout, /^image +127\.0\.0\.1:\d+\/servers\/filesystem:2025\.3\.28 /m);
    assert.match(text.stdout, /fail SC-04/);
  });

  test("the fixed server's image passes SC-04; without --image there is no SC-04", async () => {
    const { ws, ref } = await release(NPM_SERVERS.filesystem);
    const r = await runCli(
      ["evaluate", "--image", ref, "--vulnerability-db", OSV, "--format", "json"],
      { cwd: ws },
    );
    const predicate = parsePredicate(JSON.parse(r.stdout));
    assert.equal(predicate.controls.find((c) => c.id === "SC-04")?.status, "pass", r.stdout);
    const without = await runCli(["evaluate", "--vulnerability-db", OSV, "--format", "json"], {
      cwd: ws,
    });
    const plain = parsePredicate(JSON.parse(without.stdout));
    assert.equal(
      plain.controls.find((c) => c.id === "SC-04"),
      undefined,
    );
  });

  test("progress goes to stderr, one JSON document to stdout; --quiet silences it; --sbom writes the CycloneDX document", async () => {
    const { ws, ref, digest } = await release(NPM_SERVERS.filesystem);
    const sbom = join(ws, "sbom.cdx.json");
    const args = [
      ...["evaluate", "--image", ref, "--vulnerability-db", OSV, "--format", "json"],
      ...["--min-trust-level", "L1"],
    ];
    const r = await runCli([...args, "--sbom", "sbom.cdx.json"], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      parsePredicate(JSON.parse(r.stdout)).verdict,
      "pass",
      "stdout is one JSON document",
    );
    assert.match(
      r.stderr,
      new RegExp(
        `^pulling \\S+ \\(${digest}, linux/amd64\\): 1 layer\\(s\\), [\\d.]+ (KiB|MiB)$`,
        "m",
      ),
    );
    assert.match(r.stderr, /^ {2}layer 1\/1 sha256:[a-f0-9]{64} \([\d.]+ (KiB|MiB)\)$/m);
    assert.match(r.stderr, /^inventory: \d+ npm in 1 layer\(s\), \d+ files, [\d.]+ MiB unpacked$/m);
    assert.match(r.stderr, /^scanning \d+ package\(s\) of the image/m);
    assert.match(r.stderr, /^starting the server and listing what it exposes: /m);
    assert.match(r.stderr, /^listed \d+ tool\(s\)/m);
    assert.match(
      r.stderr,
      /^wrote the SBOM \(CycloneDX 1\.5, \d+ components\) to sbom\.cdx\.json$/m,
    );

    const bom = JSON.parse(await readFile(sbom, "utf8")) as CycloneDxBom;
    assert.deepEqual(cycloneDxValidator()(bom), []);
    assert.equal(bom.metadata.component.version, digest);
    assert.ok(
      bom.components.some(
        (c) => c.purl === "pkg:npm/%40modelcontextprotocol/server-filesystem@2025.7.1",
      ),
    );

    const quiet = await runCli([...args, "--quiet"], { cwd: ws });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /pulling|layer 1\/1|inventory:|scanning|starting the server/);
    // The same evaluation, only quieter; the warnings stay.
    const loud = parsePredicate(JSON.parse(r.stdout));
    const silent = parsePredicate(JSON.parse(quiet.stdout));
    assert.deepEqual(silent.controls, loud.controls);
    assert.match(quiet.stderr, /^warning: /m);

    const noImage = await runCli(["evaluate", "--sbom", "x.json", "--vulnerability-db", OSV], {
      cwd: ws,
    });
    assert.equal(noImage.code, 2);
    assert.match(noImage.stderr, /--sbom needs --image/);
  });

  test("an image that cannot be read is bad input, exit 2", async () => {
    const { ws } = await release(NPM_SERVERS.filesystem);
    const r = await runCli(
      ["evaluate", "--image", `${registry.host}/servers/missing:v1`, "--vulnerability-db", OSV],
      { cwd: ws },
    );
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /not found/);
  });
});
