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
import { installNpmLockfile, installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
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
    ) as {
      version: string;
      packages: { registryType: string; identifier: string; version: string }[];
      _meta: Record<string, unknown>;
    };
    manifest.version = server.version;
    // The release's packages: the npm package at this version, and the image pushed here.
    for (const p of manifest.packages) {
      p.version = server.version;
      if (p.registryType === "oci") p.identifier = `${registry.host}/servers/filesystem`;
    }
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
    assert.deepEqual(sc04?.evidence, ["image-inventory"]);
    const sc05 = predicate.controls.find((c) => c.id === "SC-05");
    assert.equal(sc05?.status, "pass", sc05?.notes);
    assert.deepEqual(sc05.evidence, ["manifest", "image-inventory"]);
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
    // Under the level, why it is not higher.
    assert.match(
      text.stdout,
      /^trust level +L1 \(below the minimum L2\)\n {2}capped +L2 needs SC-02 to pass: it was skipped/m,
    );
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
    // Without an image the evaluation says so, and says why it stops where it does.
    assert.match(without.stderr, /^warning: no image was examined \(evaluate --image REF\)/m);
    for (const id of ["SC-05", "SC-06"]) {
      const c = plain.controls.find((x) => x.id === id);
      assert.equal(c?.status, "skip", id);
      assert.match(c.notes ?? "", /no image was examined/);
      assert.deepEqual(c.evidence, []);
    }
    assert.ok(
      plain.trustLevelCappedBy?.some((r) => /^L\d needs /.test(r)),
      JSON.stringify(plain.trustLevelCappedBy),
    );
    // With the image, the image's own evidence is recorded; the tools still come from the package.
    assert.deepEqual(predicate.controls.find((c) => c.id === "CD-01")?.evidence, [
      "manifest",
      "package-run",
    ]);
  });

  const remoteFixture = join(FIXTURES, "lockfiles", "npm-mcp-remote-0.1.15");

  /**
   * A real install of mcp-remote 0.1.15 from its lockfile (npm ci), pushed as an image, and a
   * workspace whose server.json declares mcp-remote at `declared`.
   */
  async function remoteRelease(declared: string): Promise<{ ws: string; ref: string }> {
    const prefix = await installNpmLockfile(remoteFixture);
    const { stdout } = await run(
      "tar",
      ["-C", prefix, "-cf", "-", "--owner=0", "--group=0", "--transform=s,^,app/,", "node_modules"],
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
    );
    const built = await pushLayers(
      new RegistryClient(),
      `${registry.host}/servers/remote`,
      declared,
      [{ tar: stdout }],
      { config: { Entrypoint: ["node", "/app/node_modules/mcp-remote/dist/proxy.js"] } },
    );
    const ws = join(dir, `remote-${declared}`);
    await mkdir(ws, { recursive: true });
    await writeFile(
      join(ws, "server.json"),
      JSON.stringify({
        name: "io.github.acme/remote",
        description: "A proxy to a remote MCP server",
        version: declared,
        // Served over HTTP: nothing here is started, the evaluation is of the image's contents.
        packages: [
          {
            registryType: "npm",
            identifier: "mcp-remote",
            version: declared,
            transport: { type: "streamable-http", url: "http://127.0.0.1:8080/mcp" },
          },
        ],
      }),
    );
    return { ws, ref: built.ref };
  }

  test("the manifest declares mcp-remote 0.1.16, the image holds 0.1.15: SC-05 fails naming both and the file", async () => {
    const { ws, ref } = await remoteRelease("0.1.16");
    const fixture = remoteFixture;
    const r = await runCli(
      [
        "evaluate",
        "--image",
        ref,
        "--lockfile",
        join(fixture, "package-lock.json"),
        "--vulnerability-db",
        OSV,
        "--format",
        "json",
      ],
      { cwd: ws },
    );
    assert.equal(r.code, 1, r.stderr);
    const predicate = parsePredicate(JSON.parse(r.stdout));
    const sc05 = predicate.controls.find((c) => c.id === "SC-05");
    assert.equal(sc05?.status, "fail");
    assert.deepEqual(sc05.findings, [
      {
        message:
          "the manifest declares npm package mcp-remote 0.1.16 (packages[0]), but the image holds mcp-remote 0.1.15 (/app/node_modules/mcp-remote/package.json)",
        severity: "high",
        location: "server.json#packages[0].version",
      },
    ]);
    assert.deepEqual(sc05.evidence, ["manifest", "image-inventory"]);
    assert.equal(predicate.verdict, "fail");
    // What the image holds is what SC-04 judged: the critical CVE-2025-6514 of 0.1.15.
    const sc04 = predicate.controls.find((c) => c.id === "SC-04");
    assert.equal(sc04?.status, "fail");
    assert.ok(predicate.vulnerabilities.some((v) => v.aliases.includes("CVE-2025-6514")));
    // The lockfile is the one the image was installed from: SC-06 finds nothing to warn about.
    const sc06 = predicate.controls.find((c) => c.id === "SC-06");
    assert.equal(sc06?.status, "pass");
    assert.deepEqual(sc06.findings, [], sc06.notes);
    assert.match(sc06.notes ?? "", /they agree$/);
    assert.deepEqual(sc06.evidence, ["lockfile", "image-inventory"]);
  });

  test("a lockfile of another install disagrees with the image: SC-06 warns, in the report and SARIF, and fails nothing", async () => {
    const { ws, ref } = await remoteRelease("0.1.15");
    // server-filesystem's lockfile beside mcp-remote's image: most of what the image holds is not in it.
    const other = join(FIXTURES, "lockfiles", "npm-filesystem-2025.7.1", "package-lock.json");
    const args = ["evaluate", "--image", ref, "--lockfile", other, "--vulnerability-db", OSV];
    const r = await runCli([...args, "--format", "json"], { cwd: ws });
    const predicate = parsePredicate(JSON.parse(r.stdout));
    assert.equal(predicate.controls.find((c) => c.id === "SC-05")?.status, "pass");
    const sc06 = predicate.controls.find((c) => c.id === "SC-06");
    assert.equal(sc06?.status, "pass", "a warning, not a failure");
    assert.ok(sc06.findings.length > 0);
    assert.ok(sc06.findings.every((f) => f.severity === "medium"));
    assert.ok(
      sc06.findings.some((f) =>
        /^the image holds mcp-remote 0\.1\.15 \(\/app\/node_modules\/mcp-remote\/package\.json\), which .*package-lock\.json does not record$/.test(
          f.message,
        ),
      ),
      sc06.findings.map((f) => f.message).join("\n"),
    );
    assert.match(sc06.notes ?? "", /disagreement\(s\), a warning/);
    assert.match(r.stderr, /^warning: the lockfiles disagree with the image \(SC-06\)/m);
    assert.ok(
      predicate.trustLevelCappedBy?.every((c) => !c.startsWith("L4")),
      "the level stops well below L4 for other reasons here",
    );
    // Even at a threshold its findings reach, SARIF reports them as warnings.
    const sarif = await runCli([...args, "--format", "sarif", "--fail-on-severity", "medium"], {
      cwd: ws,
    });
    const log = JSON.parse(sarif.stdout) as {
      runs: { results: { ruleId: string; level: string }[] }[];
    };
    const levels = new Set(
      log.runs[0]?.results.filter((x) => x.ruleId === "SC-06").map((x) => x.level),
    );
    assert.deepEqual([...levels], ["warning"]);
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
