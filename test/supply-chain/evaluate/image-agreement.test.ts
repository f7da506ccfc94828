/**
 * SC-05 and SC-06 over inventories as `inventoryOf` reports them: the manifest's packages and the
 * lockfiles against what the image holds. The end-to-end case, a real image through
 * `mcp-warden evaluate --image`, is in test/cli/evaluate-image.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseServerManifest } from "../../../policies/evaluation/server-manifest.ts";
import {
  lockfileAgreement,
  manifestAgreement,
  type ExaminedImage,
} from "../../../supply-chain/evaluate/image-agreement.ts";
import type { InstalledPackage } from "../../../supply-chain/image/inventory.ts";
import { parseLockfile } from "../../../supply-chain/scan/lockfiles/index.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const LAYER = `sha256:${"b".repeat(64)}`;
const REF = "ghcr.io/acme/remote:0.1.16";

function manifest(packages: unknown[]) {
  return parseServerManifest(
    JSON.stringify({
      name: "io.github.acme/remote",
      description: "A remote proxy",
      version: "0.1.16",
      packages,
    }),
    "server.json",
  );
}

const npm = (identifier: string, version?: string) => ({
  registryType: "npm",
  identifier,
  ...(version === undefined ? {} : { version }),
  transport: { type: "stdio" },
});

function pkg(
  ecosystem: InstalledPackage["ecosystem"],
  name: string,
  version: string,
  file: string,
) {
  return { ecosystem, name, version, purl: `pkg:generic/${name}@${version}`, file, layer: LAYER };
}

function image(packages: InstalledPackage[], extra: Partial<ExaminedImage["inventory"]> = {}) {
  return {
    reference: REF,
    inventory: {
      image: DIGEST,
      packages,
      applications: [],
      skipped: [],
      stats: { layers: 1, entries: 0, uncompressedBytes: 0 },
      ...extra,
    },
  } satisfies ExaminedImage;
}

const remote15 = pkg("npm", "mcp-remote", "0.1.15", "/app/node_modules/mcp-remote/package.json");

describe("SC-05: the manifest's packages are what the image holds", () => {
  it("mcp-remote 0.1.16 declared, 0.1.15 installed: a finding naming both versions and the file", () => {
    const out = manifestAgreement(
      manifest([npm("mcp-remote", "0.1.16")]),
      "server.json",
      image([remote15]),
    );
    assert.ok("findings" in out);
    assert.deepEqual(out.findings, [
      {
        message:
          "the manifest declares npm package mcp-remote 0.1.16 (packages[0]), but the image holds mcp-remote 0.1.15 (/app/node_modules/mcp-remote/package.json)",
        severity: "high",
        location: "server.json#packages[0].version",
      },
    ]);
  });

  it("the declared version installed passes, even beside other copies; the notes say where", () => {
    const nested = pkg(
      "npm",
      "mcp-remote",
      "0.1.10",
      "/app/node_modules/other/node_modules/mcp-remote/package.json",
    );
    const out = manifestAgreement(
      manifest([npm("mcp-remote", "0.1.15")]),
      "server.json",
      image([nested, remote15]),
    );
    assert.ok("findings" in out);
    assert.deepEqual(out.findings, []);
    assert.match(
      out.notes ?? "",
      /mcp-remote 0\.1\.15 at \/app\/node_modules\/mcp-remote\/package\.json/,
    );
  });

  it("a package the image does not hold fails, at the identifier", () => {
    const out = manifestAgreement(
      manifest([npm("mcp-remote", "0.1.16")]),
      "server.json",
      image([]),
    );
    assert.ok("findings" in out);
    assert.equal(out.findings.length, 1);
    assert.match(out.findings[0]?.message ?? "", /holds no mcp-remote/);
    assert.equal(out.findings[0]?.location, "server.json#packages[0].identifier");
  });

  it("the application's own package.json counts as the npm package", () => {
    const out = manifestAgreement(
      manifest([npm("mcp-remote", "0.1.16")]),
      "server.json",
      image([], {
        applications: [
          { name: "mcp-remote", version: "0.1.16", file: "/app/package.json", layer: LAYER },
        ],
      }),
    );
    assert.ok("findings" in out);
    assert.deepEqual(out.findings, []);
  });

  it("PyPI names compare per PEP 503 and versions per PEP 440", () => {
    const installed = pkg(
      "PyPI",
      "mcp-server-time",
      "2026.10.19",
      "/venv/lib/python3.12/site-packages/mcp_server_time-2026.10.19.dist-info/METADATA",
    );
    const pypi = (version: string) => ({
      registryType: "pypi",
      identifier: "MCP_Server.Time",
      version,
      transport: { type: "stdio" },
    });
    const same = manifestAgreement(
      manifest([pypi("2026.10.19.0")]),
      "server.json",
      image([installed]),
    );
    assert.ok("findings" in same);
    assert.deepEqual(same.findings, []);
    const other = manifestAgreement(
      manifest([pypi("2026.10.20")]),
      "server.json",
      image([installed]),
    );
    assert.ok("findings" in other);
    assert.match(other.findings[0]?.message ?? "", /holds mcp-server-time 2026\.10\.19/);
  });

  it("an OCI package names the image evaluated: another repository or tag fails", () => {
    const oci = (identifier: string, version?: string) => ({
      registryType: "oci",
      identifier,
      ...(version === undefined ? {} : { version }),
      transport: { type: "stdio" },
    });
    const judge = (p: unknown) => {
      const out = manifestAgreement(manifest([p]), "server.json", image([]));
      assert.ok("findings" in out);
      return out.findings.map((f) => f.message);
    };
    assert.deepEqual(judge(oci("ghcr.io/acme/remote", "0.1.16")), []);
    assert.deepEqual(judge(oci("ghcr.io/acme/remote:0.1.16")), []);
    assert.deepEqual(judge(oci(`ghcr.io/acme/remote@${DIGEST}`)), []);
    assert.match(
      judge(oci("ghcr.io/acme/other", "0.1.16"))[0] ?? "",
      /declares OCI image ghcr\.io\/acme\/other:0\.1\.16, but the image evaluated is/,
    );
    assert.match(judge(oci("ghcr.io/acme/remote", "0.1.15"))[0] ?? "", /tagged 0\.1\.16/);
    assert.match(
      judge(oci(`ghcr.io/acme/remote@sha256:${"c".repeat(64)}`))[0] ?? "",
      new RegExp(`is ${DIGEST}`),
    );
  });

  it("no image: not judged; no comparable package: not judged either", () => {
    const none = manifestAgreement(
      manifest([npm("mcp-remote", "0.1.16")]),
      "server.json",
      undefined,
    );
    assert.ok("skipped" in none);
    assert.match(none.skipped, /no image was examined/);
    const nuget = manifestAgreement(
      manifest([
        {
          registryType: "nuget",
          identifier: "Acme.Remote",
          version: "1.0.0",
          transport: { type: "stdio" },
        },
      ]),
      "server.json",
      image([remote15]),
    );
    assert.ok("skipped" in nuget);
    assert.match(nuget.skipped, /declares no npm, PyPI or OCI package/);
  });
});

describe("SC-06: the lockfiles agree with the image", () => {
  // A real lockfile: mcp-remote 0.1.15 and its 81 dependencies, written by npm.
  const lockText = readFileSync(
    new URL("../../fixtures/lockfiles/npm-mcp-remote-0.1.15/package-lock.json", import.meta.url),
    "utf8",
  );
  const lock = parseLockfile("package-lock.json", lockText);
  const installed = lock.packages
    .filter((p) => p.ecosystem === "npm")
    .map((p) => pkg("npm", p.name, p.version, `/app/node_modules/${p.name}/package.json`));

  it("the image installed from the lockfile agrees; npm's own packages in the base are not the server's", () => {
    const npmOwn = pkg("npm", "npm", "10.9.2", "/usr/local/lib/node_modules/npm/package.json");
    const out = lockfileAgreement(
      manifest([npm("mcp-remote", "0.1.15")]),
      [lock],
      image([...installed, npmOwn]),
    );
    assert.ok("findings" in out);
    assert.deepEqual(out.findings, []);
    assert.match(
      out.notes ?? "",
      new RegExp(`^${installed.length} package\\(s\\) installed beside the server .*: they agree$`),
    );
  });

  it("another version, or a package the lockfile lacks, is a warning naming both", () => {
    const changed = installed.map((p) =>
      p.name === "mcp-remote" ? { ...p, version: "0.1.16" } : p,
    );
    const extra = pkg("npm", "left-pad", "1.3.0", "/app/node_modules/left-pad/package.json");
    const out = lockfileAgreement(
      manifest([npm("mcp-remote", "0.1.16")]),
      [lock],
      image([...changed, extra]),
    );
    assert.ok("findings" in out);
    assert.deepEqual(
      out.findings.map((f) => [f.message, f.severity, f.location]),
      [
        [
          "the image holds mcp-remote 0.1.16 (/app/node_modules/mcp-remote/package.json), package-lock.json records 0.1.15",
          "medium",
          // The lockfile's entry for it.
          "package-lock.json:591",
        ],
        [
          "the image holds left-pad 1.3.0 (/app/node_modules/left-pad/package.json), which package-lock.json does not record",
          "medium",
          "package-lock.json",
        ],
      ],
    );
    assert.match(out.notes ?? "", /2 disagreement\(s\), a warning/);
  });

  it("a globally installed server is compared by its own folder, not its global neighbours", () => {
    const global = installed.map((p) =>
      p.name === "mcp-remote"
        ? { ...p, file: "/usr/local/lib/node_modules/mcp-remote/package.json" }
        : {
            ...p,
            file: `/usr/local/lib/node_modules/mcp-remote/node_modules/${p.name}/package.json`,
          },
    );
    const npmOwn = pkg("npm", "npm", "10.9.2", "/usr/local/lib/node_modules/npm/package.json");
    const out = lockfileAgreement(
      manifest([npm("mcp-remote", "0.1.15")]),
      [lock],
      image([...global, npmOwn]),
    );
    assert.ok("findings" in out);
    assert.deepEqual(out.findings, []);
  });

  it("skipped without an image, without a lockfile, or when the server is not in the image", () => {
    const m = manifest([npm("mcp-remote", "0.1.15")]);
    const skipped = (out: ReturnType<typeof lockfileAgreement>) =>
      "skipped" in out ? out.skipped : "";
    assert.match(skipped(lockfileAgreement(m, [lock], undefined)), /no image was examined/);
    assert.match(skipped(lockfileAgreement(m, [], image(installed))), /no lockfile/);
    assert.match(
      skipped(lockfileAgreement(m, [lock], image([]))),
      /holds no npm or PyPI package the manifest declares/,
    );
  });
});
