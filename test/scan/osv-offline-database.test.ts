import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { strToU8, zipSync } from "fflate";
import { WardenError } from "../../policies/errors.ts";
import { openOfflineDatabase } from "../../supply-chain/scan/osv/offline-database.ts";
import type { Ecosystem, LockedPackage } from "../../supply-chain/scan/types.ts";

const fixtures = fileURLToPath(new URL("../fixtures/osv/", import.meta.url));
const fixtureFiles: Record<string, Uint8Array> = {};
for (const dir of ["npm", "PyPI", "edge-cases"])
  for (const file of readdirSync(join(fixtures, dir)))
    fixtureFiles[`${dir}/${file}`] = readFileSync(join(fixtures, dir, file));

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "mcp-warden-osv-db-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function locked(ecosystem: Ecosystem, name: string, version: string): LockedPackage {
  return { ecosystem, name, version, file: "lock" };
}

const packages = [
  locked("npm", "@modelcontextprotocol/server-filesystem", "2025.3.28"),
  locked("npm", "@modelcontextprotocol/server-filesystem", "2025.7.1"),
  locked("npm", "mcp-remote", "0.1.15"),
  locked("npm", "mcp-remote", "0.1.16"),
  locked("npm", "@modelcontextprotocol/sdk", "1.23.0"),
  locked("PyPI", "mcp", "1.22.0"),
  locked("PyPI", "mcp", "1.23.0"),
  locked("npm", "edge-withdrawn", "1.0.0"),
];
const expected = [
  "@modelcontextprotocol/server-filesystem@2025.3.28 GHSA-hc55-p739-j48w",
  "@modelcontextprotocol/server-filesystem@2025.3.28 GHSA-q66q-fx2p-7w4m",
  "mcp-remote@0.1.15 GHSA-6xpm-ggf7-wc3p",
  "@modelcontextprotocol/sdk@1.23.0 GHSA-w48q-cv73-mx4w",
  "mcp@1.22.0 GHSA-9h52-p55h-vw2f",
];
const summary = (m: { package: LockedPackage; finding: { id: string } }) =>
  `${m.package.name}@${m.package.version} ${m.finding.id}`;

async function rejection(promise: Promise<unknown>): Promise<WardenError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof WardenError, `expected a WardenError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a rejection");
}

test("a directory in OSV's export layout (the fixtures themselves)", async () => {
  const db = await openOfflineDatabase(fixtures);
  // 12 records, one withdrawn.
  assert.equal(db.description, "offline OSV database osv (11 records)");
  assert.deepEqual((await db.matches(packages)).map(summary), expected);
});

test("a zip of the <Ecosystem>/<ID>.json tree, built with fflate", async () => {
  const zip = join(tmp, "osv.zip");
  await writeFile(zip, zipSync({ ...fixtureFiles, "README.md": strToU8("not a record") }));
  const db = await openOfflineDatabase(zip);
  assert.equal(db.description, "offline OSV database osv.zip (11 records)");
  assert.deepEqual((await db.matches(packages)).map(summary), expected);
});

test("OSV's per-ecosystem all.zip: <ID>.json entries at the top", async () => {
  const zip = join(tmp, "all.zip");
  const npmOnly = Object.fromEntries(
    Object.entries(fixtureFiles)
      .filter(([name]) => name.startsWith("npm/"))
      .map(([name, bytes]) => [name.slice("npm/".length), bytes]),
  );
  await writeFile(zip, zipSync(npmOnly, { level: 9 }));
  const db = await openOfflineDatabase(zip);
  assert.equal(db.description, "offline OSV database all.zip (4 records)");
  assert.deepEqual(
    (await db.matches(packages)).map(summary),
    expected.filter((e) => !e.startsWith("mcp@")),
  );
});

test("a malformed record fails naming the file, the record id and the field", async () => {
  const dir = join(tmp, "bad-dir", "npm");
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "GHSA-6xpm-ggf7-wc3p.json"),
    fixtureFiles["npm/GHSA-6xpm-ggf7-wc3p.json"] ?? "",
  );
  const bad = {
    id: "MCPW-TEST-bad",
    modified: "2026-01-10T00:00:00Z",
    affected: [
      {
        package: { ecosystem: "npm", name: "edge" },
        ranges: [{ type: "SEMVER", events: [{ introduced: "0", fixed: "1.0.0" }] }],
      },
    ],
  };
  await writeFile(join(dir, "MCPW-TEST-bad.json"), JSON.stringify(bad));
  const error = await rejection(openOfflineDatabase(join(tmp, "bad-dir")));
  assert.equal(error.code, "OSV_RECORD_INVALID");
  assert.ok(error.message.includes(join(dir, "MCPW-TEST-bad.json")));
  assert.ok(error.message.includes("MCPW-TEST-bad"));
  assert.deepEqual(
    error.problems.map((p) => p.path),
    ["affected[0].ranges[0].events[0]"],
  );

  const zip = join(tmp, "bad.zip");
  await writeFile(zip, zipSync({ "npm/MCPW-TEST-bad.json": strToU8(JSON.stringify(bad)) }));
  const inZip = await rejection(openOfflineDatabase(zip));
  assert.equal(inZip.code, "OSV_RECORD_INVALID");
  assert.ok(inZip.message.includes(zip));
  assert.ok(inZip.message.includes("npm/MCPW-TEST-bad.json"));
});

test("a file that is not JSON fails naming it", async () => {
  const zip = join(tmp, "not-json.zip");
  await writeFile(zip, zipSync({ "GHSA-xxxx.json": strToU8("{ not json") }));
  const error = await rejection(openOfflineDatabase(zip));
  assert.equal(error.code, "OSV_RECORD_INVALID");
  assert.ok(error.message.includes("GHSA-xxxx.json"));
});

test("a path that cannot be read fails with VULNERABILITY_SOURCE_FAILED", async () => {
  for (const path of [join(tmp, "missing"), join(tmp, "missing.zip")]) {
    const error = await rejection(openOfflineDatabase(path));
    assert.equal(error.code, "VULNERABILITY_SOURCE_FAILED");
    assert.ok(error.message.includes(path));
  }
  const corrupt = join(tmp, "corrupt.zip");
  await writeFile(corrupt, "PK\u0003\u0004 this is not a zip");
  const error = await rejection(openOfflineDatabase(corrupt));
  assert.equal(error.code, "VULNERABILITY_SOURCE_FAILED");
  assert.ok(error.message.includes(corrupt));
  const text = join(tmp, "records.txt");
  await writeFile(text, "{}");
  assert.equal((await rejection(openOfflineDatabase(text))).code, "VULNERABILITY_SOURCE_FAILED");
});

test("an aborted scan rejects", async () => {
  const db = await openOfflineDatabase(fixtures);
  const error = await rejection(db.matches(packages, { signal: AbortSignal.abort() }));
  assert.equal(error.code, "VULNERABILITY_SOURCE_FAILED");
});
