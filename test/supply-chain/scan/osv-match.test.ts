import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import * as pep440 from "@renovatebot/pep440";
import semver from "semver";
import { predicateProblems } from "../../../policies/evaluation/predicate.ts";
import { buildIndex, matchPackages, type OsvIndex } from "../../../supply-chain/scan/osv/index.ts";
import { judgeAffected } from "../../../supply-chain/scan/osv/match.ts";
import { parseOsvRecord } from "../../../supply-chain/scan/osv/record.ts";
import type { OsvRecord } from "../../../supply-chain/scan/osv/record-types.ts";
import { pep440Order } from "../../../supply-chain/scan/osv/versions.ts";
import type { Ecosystem, LockedPackage } from "../../../supply-chain/scan/types.ts";

const fixtures = new URL("../../fixtures/osv/", import.meta.url);

function fixture(path: string): OsvRecord {
  const url = new URL(path, fixtures);
  return parseOsvRecord(JSON.parse(readFileSync(url, "utf8")), url.pathname);
}

const allRecords: OsvRecord[] = ["npm", "PyPI", "edge-cases"].flatMap((dir) =>
  readdirSync(new URL(`${dir}/`, fixtures)).map((file) => fixture(`${dir}/${file}`)),
);
const index: OsvIndex = buildIndex(allRecords);

function locked(ecosystem: Ecosystem, name: string, version: string): LockedPackage {
  return { ecosystem, name, version, file: "test.lock" };
}

/** Ids of the advisories matching one package version. */
function idsFor(ecosystem: Ecosystem, name: string, version: string, on = index): string[] {
  return matchPackages(on, [locked(ecosystem, name, version)]).map((m) => m.finding.id);
}

function table(
  ecosystem: Ecosystem,
  name: string,
  id: string,
  rows: [version: string, affected: boolean][],
): void {
  for (const [version, affected] of rows) {
    assert.deepEqual(
      idsFor(ecosystem, name, version),
      affected ? [id] : [],
      `${ecosystem} ${name}@${version} should ${affected ? "" : "not "}match ${id}`,
    );
  }
}

test("real advisories match the real vulnerable versions and not the fixed ones", () => {
  const filesystem = "@modelcontextprotocol/server-filesystem";
  const both = ["GHSA-hc55-p739-j48w", "GHSA-q66q-fx2p-7w4m"];
  for (const [version, ids] of [
    ["0.1.0", both],
    ["0.6.2", both], // last_affected is inclusive
    ["0.6.3", []],
    ["2025.1.14", both],
    ["2025.3.28", both],
    ["2025.7.0", both],
    ["2025.7.1", []],
    ["2025.8.21", []],
  ] as const) {
    assert.deepEqual(idsFor("npm", filesystem, version), ids, `${filesystem}@${version}`);
  }
  table("npm", "mcp-remote", "GHSA-6xpm-ggf7-wc3p", [
    ["0.0.4", false],
    ["0.0.5", true],
    ["0.1.15", true],
    ["0.1.16", false],
    ["0.1.29", false],
  ]);
  table("npm", "@modelcontextprotocol/sdk", "GHSA-w48q-cv73-mx4w", [
    ["0.1.0", true],
    ["1.23.0", true],
    ["1.24.0-beta.1", true], // a prerelease of the fix is still before it
    ["1.24.0", false],
    ["1.32.2", false],
  ]);
  table("PyPI", "mcp", "GHSA-9h52-p55h-vw2f", [
    ["1.0.0", true],
    ["1.22.0", true],
    ["1.23.0rc1", true],
    ["1.23.0", false],
    ["1.23", false], // PEP 440: 1.23 == 1.23.0
    ["1.25.0", false],
  ]);
});

test("findings carry id, aliases, summary, purl, severity and the lowest fix above the version", () => {
  const [match, ...rest] = matchPackages(index, [locked("npm", "mcp-remote", "0.1.15")]);
  assert.equal(rest.length, 0);
  assert.deepEqual(match?.finding, {
    id: "GHSA-6xpm-ggf7-wc3p",
    aliases: ["CVE-2025-6514"],
    summary: "mcp-remote exposed to OS command injection via untrusted MCP server connections",
    package: { ecosystem: "npm", name: "mcp-remote", purl: "pkg:npm/mcp-remote@0.1.15" },
    version: "0.1.15",
    severity: {
      level: "critical",
      cvss: { vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", score: 9.6 },
    },
    fixedVersion: "0.1.16",
  });
  assert.equal(match?.finding.ignored, undefined);

  const [sdk] = matchPackages(index, [locked("npm", "@modelcontextprotocol/sdk", "1.13.3")]);
  assert.equal(sdk?.finding.package.purl, "pkg:npm/%40modelcontextprotocol/sdk@1.13.3");
  assert.deepEqual(sdk?.finding.severity, { level: "high" }); // GHSA's word, no vector
  assert.equal(sdk?.finding.fixedVersion, "1.24.0");

  const [python] = matchPackages(index, [locked("PyPI", "mcp", "1.22.0")]);
  assert.equal(python?.finding.package.purl, "pkg:pypi/mcp@1.22.0");
  assert.equal(python?.finding.fixedVersion, "1.23.0");
});

test("a range closed by last_affected borrows the fix of the advisory's other line", () => {
  const fs = "@modelcontextprotocol/server-filesystem";
  for (const m of matchPackages(index, [locked("npm", fs, "0.6.2")]))
    assert.equal(m.finding.fixedVersion, "2025.7.1");
  for (const m of matchPackages(index, [locked("npm", fs, "2025.3.28")]))
    assert.equal(m.finding.fixedVersion, "2025.7.1");
});

test("findings validate against the evaluation predicate's vulnerability schema", () => {
  const predicate = JSON.parse(
    readFileSync(
      new URL("../../fixtures/evaluation/valid-predicate.json", import.meta.url),
      "utf8",
    ),
  ) as Record<string, unknown>;
  const packages = [
    locked("npm", "@modelcontextprotocol/server-filesystem", "2025.3.28"),
    locked("npm", "mcp-remote", "0.1.0"),
    locked("npm", "@modelcontextprotocol/sdk", "1.0.1"),
    locked("PyPI", "mcp", "1.9.4"),
    locked("npm", "edge-versions-only", "1.0.0"),
    locked("PyPI", "edge-pep440-pkg", "1.0"),
    locked("Go", "example.com/edge/pseudo", "v0.0.0-20230101000000-123456abcdef"),
    locked("npm", "edge-limit", "1.5.0"),
  ];
  const findings = matchPackages(index, packages).map((m) => m.finding);
  assert.equal(findings.length, 9);
  predicate.vulnerabilities = findings;
  assert.deepEqual(predicateProblems(predicate), []);
});

test("npm: SemVer order, prereleases before their release, last_affected, limit, several ranges", () => {
  table("npm", "edge-last-affected", "MCPW-TEST-last-affected", [
    ["0.9.9", false],
    ["1.0.0-rc.1", false],
    ["1.0.0", true],
    ["1.4.2", true],
    ["1.4.3-alpha", false], // after 1.4.2 in SemVer order
    ["1.4.3", false],
  ]);
  table("npm", "edge-limit", "MCPW-TEST-limit", [
    ["0.9.0", false],
    ["1.0.0", true],
    ["1.99.99", true],
    ["2.0.0-alpha", true], // prerelease of the limit is below it
    ["2.0.0", false],
    ["3.0.0", false],
  ]);
  table("npm", "edge-multiple-ranges", "MCPW-TEST-multiple-ranges", [
    ["0.9.0", false],
    ["1.0.0", true],
    ["1.1.9", true],
    ["1.2.0", false],
    ["1.9.0", false],
    ["2.0.0-beta", false],
    ["2.0.0-rc.1", true],
    ["2.0.4", true],
    ["2.0.5", false],
    ["2.0.9", false],
    ["2.1.0", true],
    ["2.1.3", false],
  ]);
  table("npm", "edge-versions-only", "MCPW-TEST-versions-only", [
    ["1.0.0", true],
    ["1.0.1", true],
    ["1.0.2", false],
    ["1.0.0-rc.1", false],
  ]);
  // npm names are exact: no case folding.
  assert.deepEqual(idsFor("npm", "Edge-Limit", "1.5.0"), []);
  assert.deepEqual(idsFor("npm", "edge-withdrawn", "1.0.0"), []);
  // A version npm cannot order matches no range.
  assert.deepEqual(idsFor("npm", "edge-limit", "not-a-version"), []);
});

test("fixed versions: the lowest fix above the installed version in the range that holds it", () => {
  const fixOf = (version: string) =>
    matchPackages(index, [locked("npm", "edge-multiple-ranges", version)])[0]?.finding.fixedVersion;
  assert.equal(fixOf("1.1.0"), "1.2.0");
  assert.equal(fixOf("2.0.0-rc.1"), "2.0.5");
  assert.equal(fixOf("2.1.1"), "2.1.3");
  const limited = matchPackages(index, [locked("npm", "edge-limit", "1.5.0")]);
  assert.equal(limited[0]?.finding.fixedVersion, undefined);
});

test("PyPI: PEP 440 order and PEP 503 names", () => {
  table("PyPI", "edge-pep440-pkg", "MCPW-TEST-pep440", [
    ["0.9", false],
    ["1.0a1", false],
    ["1.0b2", false],
    ["1.0rc1", true],
    ["1.0.0rc1", true],
    ["1.0", true],
    ["1.0.0", true],
    ["1.0.post0", true],
    ["1.0.post1", false],
    ["1.0.1", false],
    ["2.0.dev2", false],
    ["2.0.dev3", true],
    ["2.0a1", true],
    ["2.0rc9", true],
    ["2.0", false],
    ["2.0.0", false],
  ]);
  // The record names `Edge_PEP440.pkg`; every spelling PEP 503 folds together matches.
  for (const name of ["edge-pep440-pkg", "Edge_PEP440.pkg", "EDGE.pep440__PKG"])
    assert.deepEqual(idsFor("PyPI", name, "1.0"), ["MCPW-TEST-pep440"], name);
  table("PyPI", "edge-versions-only", "MCPW-TEST-versions-only", [
    ["2.0", true],
    ["2.0.0", true], // exact versions compare by PEP 440 equality
    ["2.1", false],
    ["2.1.post1", true],
    ["2.1.0.post1", true],
  ]);
});

test("Go: SemVer with the v prefix, pseudo-versions and +incompatible", () => {
  table("Go", "example.com/edge/pseudo", "MCPW-TEST-go-pseudo", [
    ["v0.0.0-20220101000000-0123456789ab", true],
    ["v0.0.0-20230531235959-0123456789ab", true],
    ["v0.0.0-20230601000000-abcdef123456", false],
    ["v0.0.0-20230701000000-0123456789ab", false],
    ["v0.1.0", false],
  ]);
  table("Go", "example.com/edge/incompatible", "MCPW-TEST-go-pseudo", [
    ["v1.9.0", false],
    ["v2.0.0+incompatible", true],
    ["v2.2.9+incompatible", true],
    ["v2.3.0+incompatible", false],
  ]);
  const [finding] = matchPackages(index, [
    locked("Go", "example.com/edge/pseudo", "v0.0.0-20220101000000-0123456789ab"),
  ]);
  assert.equal(
    finding?.finding.package.purl,
    "pkg:golang/example.com/edge/pseudo@v0.0.0-20220101000000-0123456789ab",
  );
  assert.equal(finding?.finding.fixedVersion, "0.0.0-20230601000000-abcdef123456");
});

test("other ecosystems and GIT ranges match only exact versions", () => {
  const record = parseOsvRecord(
    {
      id: "MCPW-TEST-crates",
      modified: "2026-01-10T00:00:00Z",
      affected: [
        {
          package: { ecosystem: "crates.io", name: "edge" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.0.0" }] }],
          versions: ["1.0.0"],
        },
      ],
    },
    "inline",
  );
  const entries = record.affected ?? [];
  assert.deepEqual(judgeAffected(entries, "crates.io", "1.0.0"), { affected: true });
  assert.deepEqual(judgeAffected(entries, "crates.io", "1.5.0"), { affected: false });
  // The GIT range of the multiple-ranges record (introduced 0) does not make 1.5.0 affected.
  assert.deepEqual(idsFor("npm", "edge-multiple-ranges", "1.5.0"), []);
});

test("matching keeps the order of the packages, each package once per advisory", () => {
  const packages = [
    locked("PyPI", "mcp", "1.0.0"),
    locked("npm", "left-pad", "1.3.0"),
    locked("npm", "@modelcontextprotocol/server-filesystem", "2025.3.28"),
    { ...locked("PyPI", "mcp", "1.0.0"), file: "other/uv.lock" },
  ];
  const matches = matchPackages(index, packages);
  assert.deepEqual(
    matches.map((m) => [m.package.file, m.finding.id]),
    [
      ["test.lock", "GHSA-9h52-p55h-vw2f"],
      ["test.lock", "GHSA-hc55-p739-j48w"],
      ["test.lock", "GHSA-q66q-fx2p-7w4m"],
      ["other/uv.lock", "GHSA-9h52-p55h-vw2f"],
    ],
  );
  assert.equal(matches[3]?.package, packages[3]);
});

test("a record present twice counts once, the later modification winning", () => {
  const older = fixture("npm/GHSA-6xpm-ggf7-wc3p.json");
  const newer = structuredClone(older);
  newer.modified = "2026-01-01T00:00:00Z";
  newer.withdrawn = "2026-01-01T00:00:00Z";
  assert.equal(buildIndex([older]).size, 1);
  assert.equal(buildIndex([older, newer]).size, 0);
  assert.equal(buildIndex([newer, older]).size, 0);
  assert.deepEqual(idsFor("npm", "mcp-remote", "0.1.0", buildIndex([older, older])), [
    "GHSA-6xpm-ggf7-wc3p",
  ]);
});

// Brute force: a version is affected when it lies in some [introduced, closing) interval walked
// in sorted order, the definition OSV's evaluation algorithm encodes.
test("property: SemVer range matching agrees with a brute-force oracle", () => {
  const version = fc
    .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.option(fc.constantFrom("alpha", "beta.1", "rc.2")))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === null ? "" : `-${pre}`}`);
  const event = fc.oneof(
    version.map((v) => ({ introduced: v })),
    fc.constant({ introduced: "0" }),
    version.map((v) => ({ fixed: v })),
    version.map((v) => ({ last_affected: v })),
  );
  fc.assert(
    fc.property(
      fc.array(event, { minLength: 1, maxLength: 6 }),
      fc.array(version, { maxLength: 2 }),
      version,
      (events, limits, installed) => {
        const withIntroduced = [{ introduced: "0" }, ...events];
        const range = {
          type: "SEMVER" as const,
          events: [...withIntroduced, ...limits.map((limit) => ({ limit }))],
        };
        const record = parseOsvRecord(
          {
            id: "MCPW-PROP",
            modified: "2026-01-01T00:00:00Z",
            affected: [{ package: { ecosystem: "npm", name: "p" }, ranges: [range] }],
          },
          "property",
        );
        const actual = judgeAffected(record.affected ?? [], "npm", installed).affected;

        const rank = (e: Record<string, string>): number =>
          "introduced" in e ? 0 : "last_affected" in e ? 1 : 2;
        const valueOf = (e: Record<string, string>): string => Object.values(e)[0] ?? "";
        const sorted = [...withIntroduced].sort((a, b) => {
          const va = valueOf(a);
          const vb = valueOf(b);
          if (va === "0" || vb === "0") return va === vb ? 0 : va === "0" ? -1 : 1;
          return semver.compare(va, vb) || rank(a) - rank(b);
        });
        let expected = false;
        for (const e of sorted) {
          const v = valueOf(e);
          if ("introduced" in e && (v === "0" || semver.gte(installed, v))) expected = true;
          else if ("fixed" in e && semver.gte(installed, v)) expected = false;
          else if ("last_affected" in e && semver.gt(installed, v)) expected = false;
        }
        if (limits.length > 0 && !limits.some((l) => semver.lt(installed, l))) expected = false;
        assert.equal(actual, expected);
      },
    ),
    { numRuns: 2000, seed: 20260101 },
  );
});

test("PEP 440 order: the same as @renovatebot/pep440's compare, on versions parsed once", () => {
  const version = fc
    .tuple(
      fc.option(fc.nat(2), { nil: undefined }),
      fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
      fc.option(fc.tuple(fc.constantFrom("a", "b", "rc", "alpha", "c", "pre"), fc.nat(3))),
      fc.option(fc.tuple(fc.constantFrom(".post", "-", ".rev"), fc.nat(3))),
      fc.option(fc.nat(3)),
      fc.option(fc.constantFrom("local", "abc.5", "7", "x-1")),
    )
    .map(
      ([epoch, release, pre, post, dev, local]) =>
        `${epoch === undefined ? "" : `${epoch}!`}${release.join(".")}${pre ? pre.join("") : ""}${post ? post.join("") : ""}${dev === null ? "" : `.dev${dev}`}${local ? `+${local}` : ""}`,
    );
  fc.assert(
    fc.property(version, version, (a, b) => {
      const x = pep440Order.normalize(a);
      const y = pep440Order.normalize(b);
      assert.ok(x !== undefined && y !== undefined, `${a} ${b}`);
      assert.equal(
        Math.sign(pep440Order.compare(x, y)),
        Math.sign(pep440.compare(a, b)),
        `${a} ${b}`,
      );
    }),
    { numRuns: 2000 },
  );
});
