import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { WardenError } from "../../../policies/errors.ts";
import fc from "fast-check";
import { isValidOsvRecord } from "../../../supply-chain/scan/osv/record-shape.ts";
import { osvRecordProblems, parseOsvRecord } from "../../../supply-chain/scan/osv/record.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const fixtures = new URL("../../fixtures/osv/", import.meta.url);

interface Draft {
  id?: string;
  modified?: string;
  aliases?: unknown;
  published?: unknown;
  affected: { package: unknown; ranges: { type: string; events: Record<string, string>[] }[] }[];
}

function base(): Draft {
  return {
    id: "MCPW-TEST-bad",
    modified: "2026-01-10T00:00:00Z",
    affected: [
      {
        package: { ecosystem: "npm", name: "edge" },
        ranges: [
          { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.0.0" }] },
          { type: "ECOSYSTEM", events: [{ introduced: "1.1.0" }, { fixed: "1.2.0" }] },
        ],
      },
    ],
  };
}

/** Parses `value` expecting OSV_RECORD_INVALID; returns the error's problem paths. */
function problemPaths(value: unknown, where = "db/npm/MCPW-TEST-bad.json"): string[] {
  const e = assertThrowsWithCode(
    () => parseOsvRecord(value, where),
    "OSV_RECORD_INVALID",
    WardenError,
  );
  assert.ok(e.message.includes(where), "the message names where the record came from");
  return e.problems.map((p) => p.path);
}

test("every fixture record parses", () => {
  for (const dir of ["npm", "PyPI", "edge-cases"])
    for (const file of readdirSync(new URL(`${dir}/`, fixtures))) {
      const url = new URL(`${dir}/${file}`, fixtures);
      const record = parseOsvRecord(JSON.parse(readFileSync(url, "utf8")), url.pathname);
      assert.equal(`${record.id}.json`, file);
    }
});

test("a valid record is returned as given, unknown fields kept", () => {
  const value = { ...base(), credits: [{ name: "someone" }], schema_version: "1.7.0" };
  assert.equal(parseOsvRecord(value, "x"), value);
});

test("the message names the file and the record id", () => {
  const value = base();
  delete value.modified;
  const e = assertThrowsWithCode(
    () => parseOsvRecord(value, "osv/npm/MCPW-TEST-bad.json"),
    "OSV_RECORD_INVALID",
    WardenError,
  );
  assert.ok(e.message.includes("osv/npm/MCPW-TEST-bad.json"));
  assert.ok(e.message.includes("MCPW-TEST-bad"));
  assert.deepEqual(e.problems, [{ path: "modified", message: "is required" }]);
});

test("malformed ranges and events are reported by field path", () => {
  const twoKeys = base();
  twoKeys.affected[0]!.ranges[1]!.events.push({ fixed: "1.3.0", introduced: "1.4.0" });
  assert.deepEqual(problemPaths(twoKeys), ["affected[0].ranges[1].events[2]"]);

  const unknownKey = base();
  unknownKey.affected[0]!.ranges[0]!.events[1] = { fixd: "1.0.0" };
  assert.deepEqual(problemPaths(unknownKey), ["affected[0].ranges[0].events[1].fixd"]);

  const noIntroduced = base();
  noIntroduced.affected[0]!.ranges[1]!.events = [{ fixed: "1.2.0" }];
  assert.deepEqual(problemPaths(noIntroduced), ["affected[0].ranges[1].events"]);

  const unknownType = base();
  unknownType.affected[0]!.ranges[0]!.type = "SEMVAR";
  assert.deepEqual(problemPaths(unknownType), ["affected[0].ranges[0].type"]);

  const badSemver = base();
  badSemver.affected[0]!.ranges[0]!.events[1] = { fixed: "1.0" };
  assert.deepEqual(problemPaths(badSemver), ["affected[0].ranges[0].events[1].fixed"]);

  const gitWithoutRepo = base();
  gitWithoutRepo.affected[0]!.ranges.push({ type: "GIT", events: [{ introduced: "abc123" }] });
  assert.deepEqual(problemPaths(gitWithoutRepo), ["affected[0].ranges[2].repo"]);
});

test("every bad field is reported at once", () => {
  const value = base();
  value.aliases = "CVE-1";
  value.published = "yesterday";
  value.affected[0]!.ranges[1]!.events[1] = { fixed: "1.2", limit: "2.0.0" };
  value.affected[0]!.package = { ecosystem: "npm" };
  assert.deepEqual(problemPaths(value).sort(), [
    "affected[0].package.name",
    "affected[0].ranges[1].events[1]",
    "aliases",
    "published",
  ]);
});

test("versions of ECOSYSTEM ranges must be readable in the ecosystem's order", () => {
  const pypi = {
    id: "MCPW-TEST-pypi",
    modified: "2026-01-10T00:00:00Z",
    affected: [
      {
        package: { ecosystem: "PyPI", name: "edge" },
        ranges: [
          {
            type: "ECOSYSTEM",
            events: [
              { introduced: "1.0.post1" },
              { fixed: "1.0-beta-2" },
              { limit: "not a version" },
            ],
          },
        ],
        versions: ["0.3.2-dev-r123"], // legacy versions in exact lists are fine
      },
    ],
  };
  assert.deepEqual(problemPaths(pypi), ["affected[0].ranges[0].events[2].limit"]);
  // Ecosystems without a known order accept any version string; only `versions` will match.
  const crates = structuredClone(pypi);
  crates.affected[0]!.package.ecosystem = "crates.io";
  assert.equal(parseOsvRecord(crates, "x").id, "MCPW-TEST-pypi");
});

test("not an object, or an object without an id", () => {
  assert.deepEqual(problemPaths([], "a.json"), [""]);
  assert.deepEqual(problemPaths({ modified: "2026-01-10T00:00:00Z" }, "b.json"), ["id"]);
  const e = assertThrowsWithCode(
    () => parseOsvRecord({ modified: "2026-01-10T00:00:00Z" }, "b.json"),
    "OSV_RECORD_INVALID",
    WardenError,
  );
  assert.ok(e.message.includes("without an id"));
});

test("the quick check never accepts what the schema rejects, and accepts every fixture", () => {
  for (const dir of ["npm", "PyPI", "edge-cases"])
    for (const file of readdirSync(new URL(`${dir}/`, fixtures))) {
      const value: unknown = JSON.parse(readFileSync(new URL(`${dir}/${file}`, fixtures), "utf8"));
      assert.ok(isValidOsvRecord(value), `${dir}/${file}`);
    }
  // Any field of a valid record replaced by any JSON value (or removed).
  const paths: (string | number)[][] = [
    [],
    ["id"],
    ["modified"],
    ["published"],
    ["withdrawn"],
    ["aliases"],
    ["aliases", 0],
    ["summary"],
    ["details"],
    ["severity"],
    ["severity", 0],
    ["severity", 0, "type"],
    ["severity", 0, "score"],
    ["database_specific"],
    ["affected"],
    ["affected", 0],
    ["affected", 0, "package"],
    ["affected", 0, "package", "ecosystem"],
    ["affected", 0, "package", "name"],
    ["affected", 0, "package", "purl"],
    ["affected", 0, "versions"],
    ["affected", 0, "ecosystem_specific"],
    ["affected", 0, "ranges"],
    ["affected", 0, "ranges", 0],
    ["affected", 0, "ranges", 0, "type"],
    ["affected", 0, "ranges", 0, "repo"],
    ["affected", 0, "ranges", 0, "events"],
    ["affected", 0, "ranges", 0, "events", 0],
    ["affected", 0, "ranges", 0, "events", 1],
    ["affected", 0, "ranges", 0, "events", 1, "fixed"],
    ["affected", 0, "ranges", 1, "events", 0, "introduced"],
  ];
  const valid = () => ({
    ...base(),
    published: "2026-01-01T00:00:00.5+02:00",
    aliases: ["CVE-2026-1"],
    summary: "s",
    details: "d",
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N" }],
    database_specific: { severity: "HIGH" },
  });
  const value = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom("", "0", "1.0.0", "2026-01-10T00:00:00Z", "GIT", "SEMVER", "CVSS_V4"),
    fc.constant(undefined),
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...paths),
      value,
      fc.constantFrom(...paths),
      value,
      (p, v, q, w) => {
        const record = valid() as unknown as Record<string | number, unknown>;
        for (const [path, replacement] of [
          [p, v],
          [q, w],
        ] as const) {
          if (path.length === 0) continue;
          let at: unknown = record;
          for (const segment of path.slice(0, -1))
            at =
              typeof at === "object" && at !== null
                ? (at as Record<string, unknown>)[segment]
                : undefined;
          if (typeof at !== "object" || at === null) continue;
          const last = path.at(-1) as string | number;
          if (replacement === undefined) delete (at as Record<string, unknown>)[last];
          else (at as Record<string, unknown>)[last] = replacement;
        }
        const json: unknown = JSON.parse(JSON.stringify(record));
        if (isValidOsvRecord(json)) assert.deepEqual(osvRecordProblems(json), []);
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(isValidOsvRecord(valid()));
});
