/**
 * The real lockfiles of real MCP server releases, scanned against the offline OSV records of the
 * published advisories: each vulnerable release matches its CVEs, each fixed one does not.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parseLockfile } from "../../../supply-chain/scan/lockfiles/index.ts";
import { openOfflineDatabase } from "../../../supply-chain/scan/osv/offline-database.ts";
import type { VulnerabilitySource } from "../../../supply-chain/scan/types.ts";
import { ROOT } from "../../support/cli.ts";

const LOCKFILES = join(ROOT, "test", "fixtures", "lockfiles");

describe("real releases against the published advisories", () => {
  let db: VulnerabilitySource;
  before(async () => {
    db = await openOfflineDatabase(join(ROOT, "test", "fixtures", "osv"));
  });

  async function cves(fixture: string, file: string): Promise<Map<string, string>> {
    const lock = parseLockfile(file, readFileSync(join(LOCKFILES, fixture, file), "utf8"));
    const found = new Map<string, string>();
    for (const m of await db.matches(lock.packages)) {
      for (const alias of m.finding.aliases.filter((a) => a.startsWith("CVE-")))
        found.set(
          alias,
          `${m.finding.package.name}@${m.finding.version} ${m.finding.severity.level}`,
        );
    }
    return found;
  }

  const cases: {
    fixture: string;
    file: string;
    vulnerable: Record<string, string>;
    fixed?: string[];
  }[] = [
    {
      fixture: "npm-filesystem-2025.3.28",
      file: "package-lock.json",
      vulnerable: {
        "CVE-2025-53109": "@modelcontextprotocol/server-filesystem@2025.3.28",
        "CVE-2025-53110": "@modelcontextprotocol/server-filesystem@2025.3.28",
      },
    },
    {
      fixture: "npm-filesystem-2025.7.1",
      file: "package-lock.json",
      vulnerable: {},
      fixed: ["CVE-2025-53109", "CVE-2025-53110"],
    },
    {
      fixture: "npm-mcp-remote-0.1.15",
      file: "package-lock.json",
      vulnerable: { "CVE-2025-6514": "mcp-remote@0.1.15 critical" },
    },
    {
      fixture: "npm-sdk-1.23.0",
      file: "package-lock.json",
      vulnerable: { "CVE-2025-66414": "@modelcontextprotocol/sdk@1.23.0" },
    },
    {
      fixture: "pnpm-sdk",
      file: "pnpm-lock.yaml",
      vulnerable: { "CVE-2025-66414": "@modelcontextprotocol/sdk@1.23.0" },
    },
    {
      fixture: "yarn-classic-sdk",
      file: "yarn.lock",
      vulnerable: { "CVE-2025-66414": "@modelcontextprotocol/sdk@1.23.0" },
    },
    {
      fixture: "yarn-berry-sdk",
      file: "yarn.lock",
      vulnerable: { "CVE-2025-66414": "@modelcontextprotocol/sdk@1.23.0" },
    },
    { fixture: "uv-mcp-1.22.0", file: "uv.lock", vulnerable: { "CVE-2025-66416": "mcp@1.22.0" } },
    { fixture: "poetry-mcp", file: "poetry.lock", vulnerable: { "CVE-2025-66416": "mcp@1.22.0" } },
    { fixture: "uv-mcp-1.23.0", file: "uv.lock", vulnerable: {}, fixed: ["CVE-2025-66416"] },
  ];

  for (const c of cases) {
    it(`${c.fixture}/${c.file}: ${Object.keys(c.vulnerable).join(", ") || `not ${c.fixed?.join(", ")}`}`, async () => {
      const found = await cves(c.fixture, c.file);
      for (const [cve, what] of Object.entries(c.vulnerable)) {
        assert.ok(found.has(cve), `${cve} expected, found ${[...found.keys()].join(", ")}`);
        assert.ok(found.get(cve)?.startsWith(what), `${cve}: ${found.get(cve)} vs ${what}`);
      }
      for (const cve of c.fixed ?? [])
        assert.equal(found.has(cve), false, `${cve} is fixed in this release`);
    });
  }
});

describe("OS packages against Debian and Alpine advisories", () => {
  const os = (
    ecosystem: "Debian:12" | "Alpine:v3.18" | "Alpine:v3.19",
    name: string,
    version: string,
  ) => ({
    ecosystem,
    name,
    version,
    file: "/lib/apk/db/installed",
  });

  it("Alpine 3.18's openssl before 3.1.4-r0 has CVE-2023-5363; the fix and other releases do not", async () => {
    const db = await openOfflineDatabase(join(ROOT, "test", "fixtures", "osv"));
    const ids = async (pkg: ReturnType<typeof os>) =>
      (await db.matches([pkg])).map((m) => `${m.finding.id} fixed in ${m.finding.fixedVersion}`);
    assert.deepEqual(await ids(os("Alpine:v3.18", "openssl", "3.1.3-r0")), [
      "ALPINE-CVE-2023-5363 fixed in 3.1.4-r0",
    ]);
    assert.deepEqual(await ids(os("Alpine:v3.18", "openssl", "3.1.0_alpha1-r0")), [
      "ALPINE-CVE-2023-5363 fixed in 3.1.4-r0",
    ]);
    assert.deepEqual(await ids(os("Alpine:v3.18", "openssl", "3.1.4-r0")), []);
    assert.deepEqual(await ids(os("Alpine:v3.18", "openssl", "3.1.4-r5")), []);
    assert.deepEqual(await ids(os("Alpine:v3.19", "openssl", "3.1.3-r0")), []);
    assert.deepEqual(await ids(os("Debian:12", "jq", "1.6-2.1+deb12u1")), [
      "DEBIAN-CVE-2026-32316 fixed in 1.6-2.1+deb12u3",
    ]);
    assert.deepEqual(await ids(os("Debian:12", "jq", "1.6-2.1+deb12u3")), []);
    const [jq] = await db.matches([os("Debian:12", "jq", "1.6-2.1+deb12u2")]);
    assert.deepEqual(jq?.finding.aliases, ["CVE-2026-32316"], "the upstream CVE is an alias");
    assert.deepEqual(await ids(os("Debian:12", "jq", "1.6-2.1+deb12u3~bpo1")), [
      "DEBIAN-CVE-2026-32316 fixed in 1.6-2.1+deb12u3",
    ]);
  });
});
