/**
 * The inventory of images built here from real installs, pushed to the real registry: a published
 * MCP server's npm install (compared with `npm ls`), a pip install (compared with `pip list`),
 * Debian packages unpacked with `dpkg -x` beside their real status stanzas, Go binaries built from
 * the module proxy (compared with `go version -m`). Whiteouts hide what upper layers delete, and
 * the offline OSV matching finds a real vulnerable version inside an image with no lockfile.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  inventoryOf,
  osvEcosystemOf,
  readInventory,
  scannablePackages,
} from "../../../supply-chain/image/inventory.ts";
import type { ImageInventory } from "../../../supply-chain/image/inventory.ts";
import { metadataKind } from "../../../supply-chain/image/filesystem.ts";
import { pullImage } from "../../../supply-chain/image/pull.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { openOfflineDatabase } from "../../../supply-chain/scan/osv/offline-database.ts";
import { pep503Name } from "../../../supply-chain/scan/osv/versions.ts";
import { ROOT } from "../../support/cli.ts";
import { pushLayers, tarOf } from "../../support/images.ts";
import type { LayerSpec } from "../../support/images.ts";
import {
  NPM_SERVERS,
  PYPI_SERVERS,
  installNpmServer,
  installPypiServer,
} from "../../support/mcp-servers.ts";
import { SKIP_NO_REGISTRY, startRegistry } from "../../support/registry-server.ts";
import type { RegistryServer } from "../../support/registry-server.ts";
import { findTool } from "../../support/supply-chain.ts";

const run = promisify(execFile);
const CACHE = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");

/** A tar of `dir`'s contents placed under `prefix` in the image (GNU tar keeps modes and links). */
async function tarDir(dir: string, prefix: string): Promise<Buffer> {
  const args = ["-C", dir, "-cf", "-", "--owner=0", "--group=0"];
  if (prefix !== "") args.push(`--transform=s,^\\.,${prefix},`);
  const { stdout } = await run("tar", [...args, "."], {
    encoding: "buffer",
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120_000,
  });
  return stdout;
}

const key = (p: { name: string; version: string }): string => `${p.name}@${p.version}`;

function ofEcosystem(inv: ImageInventory, ecosystem: string): string[] {
  return inv.packages
    .filter((p) => p.ecosystem === ecosystem)
    .map((p) => `${p.file}|${key(p)}`)
    .sort();
}

test("which files the inventory keeps", () => {
  const cases: [string, string | undefined][] = [
    ["app/node_modules/express/package.json", "npm-package"],
    ["app/node_modules/@scope/pkg/package.json", "npm-package"],
    ["app/node_modules/a/node_modules/b/package.json", "npm-package"],
    ["app/node_modules/a/lib/package.json", undefined],
    ["app/node_modules/.bin/package.json", undefined],
    ["app/package.json", "package-json"],
    ["usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "python-metadata"],
    ["usr/lib/python3/dist-packages/foo-1.0.egg-info/PKG-INFO", "python-metadata"],
    ["var/lib/dpkg/status", "dpkg-status"],
    ["var/lib/dpkg/status.d/base", "dpkg-status"],
    ["var/lib/dpkg/status.d/base.md5sums", undefined],
    ["lib/apk/db/installed", "apk-installed"],
    ["etc/passwd", undefined],
  ];
  for (const [path, kind] of cases) assert.equal(metadataKind(path), kind, path);
});

describe("image inventory from real installs", { skip: SKIP_NO_REGISTRY }, () => {
  let registry: RegistryServer;
  let client: RegistryClient;
  let dir: string;
  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ timeoutMs: 30_000 });
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-inventory-"));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function inventory(tag: string, layers: LayerSpec[]): Promise<ImageInventory> {
    const built = await pushLayers(client, `${registry.host}/inv/${tag}`, "v1", layers);
    return readInventory(client, await pullImage(client, built.ref));
  }

  /** `path|name@version` of every package `npm ls --all --long` reports, paths as in the image. */
  async function npmLs(prefix: string, imageDir: string): Promise<string[]> {
    const { stdout } = await run("npm", ["ls", "--all", "--long", "--json", "--prefix", prefix], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" })); // extraneous → exit 1
    const out = new Set<string>();
    const walk = (deps: unknown): void => {
      if (typeof deps !== "object" || deps === null) return;
      for (const node of Object.values(deps as Record<string, unknown>)) {
        if (typeof node !== "object" || node === null) continue;
        const n = node as {
          name?: string;
          version?: string;
          path?: string;
          dependencies?: unknown;
        };
        if (n.path !== undefined && n.name !== undefined && n.version !== undefined)
          out.add(`${n.path.replace(prefix, imageDir)}/package.json|${n.name}@${n.version}`);
        walk(n.dependencies);
      }
    };
    walk((JSON.parse(stdout) as { dependencies?: unknown }).dependencies);
    return [...out].sort();
  }

  test("npm: a published MCP server's install, as npm ls lists it; the app recorded apart", async () => {
    const server = NPM_SERVERS.filesystemOld;
    const entry = await installNpmServer(server);
    const prefix = entry.slice(0, entry.indexOf("/node_modules/"));
    const inv = await inventory("npm", [
      { tar: await tarDir(join(prefix, "node_modules"), "app/node_modules") },
      {
        tar: await tarOf([
          { name: "app/" },
          {
            name: "app/package.json",
            content: JSON.stringify({ name: "fs-app", version: "1.0.0", private: true }),
          },
        ]),
      },
    ]);
    const expected = await npmLs(prefix, "/app");
    assert.ok(expected.length > 50, `npm ls listed ${expected.length} packages`);
    assert.deepEqual(ofEcosystem(inv, "npm"), expected);
    assert.deepEqual(
      inv.applications.map((a) => [a.file, a.name, a.version]),
      [["/app/package.json", "fs-app", "1.0.0"]],
    );
    const fs = inv.packages.find((p) => p.name === server.name);
    assert.equal(fs?.purl, `pkg:npm/%40modelcontextprotocol/server-filesystem@${server.version}`);
    assert.equal(fs?.layer, inv.packages[0]?.layer);
    assert.ok(inv.stats.entries > 1000, `${inv.stats.entries} entries`);
  });

  test("whiteouts and opaque directories hide what upper layers deleted", async () => {
    const pkg = (name: string, version: string) => ({
      name: `app/node_modules/${name}/package.json`,
      content: JSON.stringify({ name, version }),
    });
    const inv = await inventory("whiteouts", [
      { tar: await tarOf([pkg("left-pad", "1.0.0"), pkg("kept", "1.0.0"), pkg("@s/x", "1.0.0")]) },
      // left-pad deleted; @s emptied and refilled in the same layer
      {
        tar: await tarOf([
          { name: "app/node_modules/.wh.left-pad", content: "" },
          { name: "app/node_modules/@s/.wh..wh..opq", content: "" },
          pkg("@s/y", "2.0.0"),
        ]),
      },
      // an upper layer's file replaces a lower package directory
      { tar: await tarOf([pkg("gone", "1.0.0")]) },
      { tar: await tarOf([{ name: "app/node_modules/gone", content: "now a file" }]) },
    ]);
    assert.deepEqual(inv.packages.map((p) => key(p)).sort(), ["@s/y@2.0.0", "kept@1.0.0"]);
  });

  test("Python: the dist-info of a pip install, as pip list reports it", async (t) => {
    let venv: { python: string };
    try {
      venv = await installPypiServer(
        PYPI_SERVERS.time.name,
        PYPI_SERVERS.time.version,
        PYPI_SERVERS.time.module,
      );
    } catch (err) {
      t.skip(`Python or PyPI unavailable: ${String(err)}`);
      return;
    }
    const root = join(venv.python, "..", "..");
    const lib = join(root, "lib");
    const pyDir = (await readdir(lib)).find((d) => d.startsWith("python3"));
    assert.ok(pyDir);
    const site = join(lib, pyDir, "site-packages");
    const inv = await inventory("pypi", [
      { tar: await tarDir(site, `usr/local/lib/${pyDir}/site-packages`) },
    ]);
    const { stdout } = await run(venv.python, ["-m", "pip", "list", "--format", "json"], {
      timeout: 60_000,
    });
    const listed = (JSON.parse(stdout) as { name: string; version: string }[])
      .map((p) => `${pep503Name(p.name)}@${p.version}`)
      .sort();
    assert.ok(listed.length > 10);
    assert.deepEqual(inv.packages.map((p) => key(p)).sort(), listed);
    assert.ok(inv.packages.every((p) => p.ecosystem === "PyPI" && p.file.endsWith("/METADATA")));
    assert.ok(
      inv.packages.some((p) => p.purl === `pkg:pypi/mcp-server-time@${PYPI_SERVERS.time.version}`),
    );
  });

  test("Debian: packages unpacked with dpkg -x beside their real status stanzas", async (t) => {
    const debs = join(CACHE, "debs");
    const names = ["jq", "libjq1", "libonig5"];
    await mkdir(debs, { recursive: true });
    const files = async (): Promise<string[]> =>
      (await readdir(debs)).filter((f) => names.some((n) => f.startsWith(`${n}_`)));
    if ((await files()).length < names.length)
      await run("apt-get", ["download", ...names], { cwd: debs, timeout: 120_000 }).catch(
        () => undefined,
      );
    const found = (await files()).sort();
    if (found.length < names.length) {
      t.skip(`apt-get download ${names.join(" ")} failed (no Debian mirror?)`);
      return;
    }
    const rootfs = join(dir, "debian-root");
    const stanzas: string[] = [];
    for (const f of found) {
      await run("dpkg", ["-x", join(debs, f), rootfs]);
      const { stdout } = await run("dpkg-deb", ["-f", join(debs, f)]);
      // What dpkg writes on install: the control fields with the status after the name.
      const [first, ...rest] = stdout.trimEnd().split("\n");
      stanzas.push([first, "Status: install ok installed", ...rest].join("\n"));
    }
    // A removed package whose configuration stays: listed in status, not installed.
    stanzas.push(
      "Package: removed-pkg\nStatus: deinstall ok config-files\nVersion: 1.0-1\nArchitecture: amd64",
    );
    await mkdir(join(rootfs, "var/lib/dpkg"), { recursive: true });
    // Distroless images keep one file per package in status.d instead: the first (jq) goes there.
    const distroless = stanzas.shift() ?? "";
    await mkdir(join(rootfs, "var/lib/dpkg/status.d"), { recursive: true });
    const distrolessName = /^Package: (\S+)/.exec(distroless)?.[1] ?? "";
    await writeFile(join(rootfs, "var/lib/dpkg/status.d", distrolessName), distroless + "\n");
    await writeFile(join(rootfs, "var/lib/dpkg/status"), stanzas.join("\n\n") + "\n");
    await mkdir(join(rootfs, "etc"), { recursive: true });
    await copyFile("/etc/os-release", join(rootfs, "etc/os-release"));
    const inv = await inventory("debian", [{ tar: await tarDir(rootfs, "") }]);

    const expected: string[] = [];
    for (const f of found) {
      const { stdout } = await run("dpkg-deb", ["-f", join(debs, f), "Package", "Version"]);
      const fields = Object.fromEntries(
        stdout
          .trim()
          .split("\n")
          .map((l) => l.split(": ") as [string, string]),
      );
      expected.push(`${fields.Package}@${fields.Version}`);
    }
    assert.deepEqual(
      inv.packages
        .filter((p) => p.ecosystem === "Debian")
        .map((p) => key(p))
        .sort(),
      expected.sort(),
    );
    const osRelease = await readFile("/etc/os-release", "utf8");
    const versionId = /^VERSION_ID="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
    assert.equal(inv.os?.versionId, versionId);
    assert.equal(
      inv.packages.find((p) => p.name === distrolessName)?.file,
      `/var/lib/dpkg/status.d/${distrolessName}`,
    );
    const libjq = inv.packages.find((p) => p.name === "libjq1");
    assert.equal(libjq?.source?.name, "jq", "advisories name the source package");
    assert.equal(libjq?.file, "/var/lib/dpkg/status");
    assert.match(libjq?.purl ?? "", /^pkg:deb\/debian\/libjq1@.*\?arch=amd64&distro=debian-/);
  });

  test("Go: build info of binaries built here, as go version -m prints it", async (t) => {
    const hello = await buildGoHello();
    const craneBin = findTool("crane");
    if (hello === undefined) {
      t.skip("go is not installed, or the module proxy is unreachable");
      return;
    }
    const bins = join(dir, "go-root");
    await mkdir(join(bins, "usr/local/bin"), { recursive: true });
    const placed = [["hello", hello]];
    if (craneBin !== undefined) placed.push(["crane", craneBin]);
    for (const [name, path] of placed)
      await copyFile(path ?? "", join(bins, "usr/local/bin", name ?? ""));
    // Not a Go binary: skipped without complaint.
    await copyFile("/bin/true", join(bins, "usr/local/bin", "true"));
    const inv = await inventory("go", [{ tar: await tarDir(bins, "") }]);

    for (const [name, path] of placed) {
      const { stdout } = await run("go", ["version", "-m", path ?? ""], { timeout: 60_000 });
      const expected: string[] = [];
      let last: string[] | undefined;
      for (const line of stdout.split("\n")) {
        const f = line.trim().split("\t");
        if (f[0] === "mod" || f[0] === "dep") last = f;
        if (f[0] === "=>") last = ["dep", ...f.slice(1)];
        if ((f[0] === "dep" || f[0] === "mod" || f[0] === "=>") && last !== undefined) {
          // replaced modules: the replacement is what was built
          if (f[0] === "=>") expected.pop();
          if (last[2] !== "(devel)" && last[2] !== undefined && last[2] !== "")
            expected.push(`${last[1]}@${last[2]}`);
        }
      }
      const goVersion = /: go(\S+)/.exec(stdout.split("\n")[0] ?? "")?.[1];
      expected.push(`stdlib@v${goVersion}`);
      const got = inv.packages
        .filter((p) => p.file === `/usr/local/bin/${name}`)
        .map((p) => key(p));
      assert.deepEqual(got.sort(), expected.sort(), name);
      assert.ok(got.length >= 2, `${name}: ${got.join(" ")}`);
    }
    assert.equal(inv.packages.filter((p) => p.file === "/usr/local/bin/true").length, 0);
    assert.ok(
      inv.packages.some((p) => p.purl === "pkg:golang/github.com/google/uuid@v1.6.0"),
      inv.packages.map((p) => p.purl).join("\n"),
    );
  });

  test("Debian: a real jq version inside an image matched by its source package and release", async (t) => {
    // 1.6-2.1+deb12u2 is a published bookworm version that DEBIAN-CVE-2026-32316 affects (its fix
    // was completed in +deb12u3); the fixture is transcribed from the package's changelog.
    const version = "1.6-2.1+deb12u2";
    const debs = join(CACHE, "debs-vulnerable");
    await mkdir(debs, { recursive: true });
    const deb = `libjq1_${version}_amd64.deb`;
    if (!existsSync(join(debs, deb)))
      await run("apt-get", ["download", `libjq1=${version}`], {
        cwd: debs,
        timeout: 120_000,
      }).catch(() => undefined);
    if (!existsSync(join(debs, deb))) {
      t.skip(`apt-get download libjq1=${version} failed (no Debian bookworm mirror?)`);
      return;
    }
    const rootfs = join(dir, "debian-vulnerable");
    await run("dpkg", ["-x", join(debs, deb), rootfs]);
    const { stdout } = await run("dpkg-deb", ["-f", join(debs, deb)]);
    const [first, ...rest] = stdout.trimEnd().split("\n");
    await mkdir(join(rootfs, "var/lib/dpkg"), { recursive: true });
    await writeFile(
      join(rootfs, "var/lib/dpkg/status"),
      [first, "Status: install ok installed", ...rest].join("\n") + "\n",
    );
    await mkdir(join(rootfs, "etc"), { recursive: true });
    const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
    await writeFile(join(rootfs, "etc/os-release"), osRelease);
    const inv = await inventory("debian-vulnerable", [{ tar: await tarDir(rootfs, "") }]);

    const scanned = scannablePackages(inv.packages, inv.os);
    assert.deepEqual(
      scanned.map((p) => `${p.ecosystem} ${p.name}@${p.version}`),
      [`Debian:12 jq@${version}`],
    );
    const db = await openOfflineDatabase(join(ROOT, "test", "fixtures", "osv"));
    const matches = await db.matches(scanned);
    assert.deepEqual(
      matches.map((m) => [
        m.finding.id,
        m.finding.fixedVersion,
        m.package.file,
        m.finding.package.purl,
      ]),
      [["DEBIAN-CVE-2026-32316", "1.6-2.1+deb12u3", "/var/lib/dpkg/status", inv.packages[0]?.purl]],
    );
    // The same version under another release is not judged by bookworm's advisory.
    const trixie = scannablePackages(inv.packages, { id: "debian", versionId: "13" });
    assert.deepEqual(await db.matches(trixie), []);
  });

  test("the offline OSV matching finds a vulnerable server inside an image, no lockfile given", async () => {
    const server = NPM_SERVERS.filesystemOld;
    const entry = await installNpmServer(server);
    const prefix = entry.slice(0, entry.indexOf("/node_modules/"));
    const nm = { tar: await tarDir(join(prefix, "node_modules"), "app/node_modules") };
    const db = await openOfflineDatabase(join(ROOT, "test", "fixtures", "osv"));
    const cves = async (inv: ImageInventory): Promise<string[]> =>
      (await db.matches(scannablePackages(inv.packages)))
        .filter((m) => m.package.name === server.name)
        .flatMap((m) => m.finding.aliases.filter((a) => a.startsWith("CVE-")))
        .sort();

    const vulnerable = await inventory("osv", [nm]);
    const matches = await db.matches(scannablePackages(vulnerable.packages));
    const hit = matches.find((m) => m.finding.aliases.includes("CVE-2025-53110"));
    assert.equal(hit?.package.name, server.name);
    assert.equal(hit?.package.version, server.version);
    assert.equal(hit?.package.file, `/app/node_modules/${server.name}/package.json`);
    assert.deepEqual(await cves(vulnerable), ["CVE-2025-53109", "CVE-2025-53110"]);

    // The same image with the server deleted in an upper layer has nothing of it to report.
    const deleted = await inventory("osv-deleted", [
      nm,
      {
        tar: await tarOf([
          { name: "app/node_modules/@modelcontextprotocol/.wh.server-filesystem" },
        ]),
      },
    ]);
    assert.deepEqual(await cves(deleted), []);
  });
});

test("OSV's ecosystem for an image's release", () => {
  assert.equal(osvEcosystemOf({ id: "debian", versionId: "12" }), "Debian:12");
  assert.equal(osvEcosystemOf({ id: "alpine", versionId: "3.20.3" }), "Alpine:v3.20");
  assert.equal(osvEcosystemOf({ id: "alpine", versionId: "3.18" }), "Alpine:v3.18");
  assert.equal(osvEcosystemOf({ id: "debian" }), undefined, "testing and unstable have none");
  assert.equal(osvEcosystemOf({ id: "ubuntu", versionId: "24.04" }), undefined);
  assert.equal(osvEcosystemOf(undefined), undefined);
});

test("an inventory with no kept files is empty", () => {
  const inv = inventoryOf([]);
  assert.deepEqual(inv.packages, []);
  assert.equal(existsSync(join(ROOT, "test", "fixtures", "osv", "npm")), true);
});

/** `go build` of a tiny module with one dependency from the module proxy, cached by version. */
async function buildGoHello(): Promise<string | undefined> {
  const base = join(CACHE, "go-hello-uuid-v1.6.0");
  const bin = join(base, "hello");
  if (existsSync(bin)) return bin;
  const src = join(base, "src");
  await mkdir(src, { recursive: true });
  await writeFile(
    join(src, "go.mod"),
    "module example.com/hello\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n",
  );
  await writeFile(
    join(src, "main.go"),
    'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/google/uuid"\n)\n\nfunc main() { fmt.Println(uuid.NewString()) }\n',
  );
  try {
    await run("go", ["build", "-o", bin, "."], {
      cwd: src,
      timeout: 300_000,
      env: { ...process.env, GOFLAGS: "-mod=mod" },
    });
    return bin;
  } catch {
    return undefined;
  }
}
