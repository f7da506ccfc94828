import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { strToU8, zipSync } from "fflate";
import {
  openOfflineDatabase,
  openOfflineDatabaseWith,
} from "../../../supply-chain/scan/osv/offline-database.ts";
import type { LockedPackage } from "../../../supply-chain/scan/types.ts";
import { WardenError } from "../../../policies/errors.ts";
import { locked } from "../../support/scan.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/osv/", import.meta.url));
const fixtureFiles: Record<string, Uint8Array> = {};
for (const dir of ["npm", "PyPI", "Debian", "Alpine", "edge-cases"])
  for (const file of readdirSync(join(fixtures, dir)))
    fixtureFiles[`${dir}/${file}`] = readFileSync(join(fixtures, dir, file));

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "mcp-warden-osv-db-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

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

test("a directory in OSV's export layout (the fixtures themselves)", async () => {
  const db = await openOfflineDatabase(fixtures);
  // 14 records, one withdrawn.
  assert.equal(db.description, "offline OSV database osv (13 records)");
  assert.deepEqual((await db.matches(packages)).map(summary), expected);
});

test("a zip of the <Ecosystem>/<ID>.json tree, built with fflate", async () => {
  const zip = join(tmp, "osv.zip");
  await writeFile(zip, zipSync({ ...fixtureFiles, "README.md": strToU8("not a record") }));
  const db = await openOfflineDatabase(zip);
  assert.equal(db.description, "offline OSV database osv.zip (13 records)");
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
  const error = await assertRejectsWithCode(
    openOfflineDatabase(join(tmp, "bad-dir")),
    "OSV_RECORD_INVALID",
    WardenError,
  );
  assert.ok(error.message.includes(join(dir, "MCPW-TEST-bad.json")));
  assert.ok(error.message.includes("MCPW-TEST-bad"));
  assert.deepEqual(
    error.problems.map((p) => p.path),
    ["affected[0].ranges[0].events[0]"],
  );

  const zip = join(tmp, "bad.zip");
  await writeFile(zip, zipSync({ "npm/MCPW-TEST-bad.json": strToU8(JSON.stringify(bad)) }));
  const inZip = await assertRejectsWithCode(
    openOfflineDatabase(zip),
    "OSV_RECORD_INVALID",
    WardenError,
  );
  assert.ok(inZip.message.includes(zip));
  assert.ok(inZip.message.includes("npm/MCPW-TEST-bad.json"));
});

test("a file that is not JSON fails naming it", async () => {
  const zip = join(tmp, "not-json.zip");
  await writeFile(zip, zipSync({ "GHSA-xxxx.json": strToU8("{ not json") }));
  const error = await assertRejectsWithCode(
    openOfflineDatabase(zip),
    "OSV_RECORD_INVALID",
    WardenError,
  );
  assert.ok(error.message.includes("GHSA-xxxx.json"));
});

test("a path that cannot be read fails with VULNERABILITY_SOURCE_FAILED", async () => {
  for (const path of [join(tmp, "missing"), join(tmp, "missing.zip")]) {
    const error = await assertRejectsWithCode(
      openOfflineDatabase(path),
      "VULNERABILITY_SOURCE_FAILED",
      WardenError,
    );
    assert.ok(error.message.includes(path));
  }
  const corrupt = join(tmp, "corrupt.zip");
  await writeFile(corrupt, "PK\u0003\u0004 this is not a zip");
  const error = await assertRejectsWithCode(
    openOfflineDatabase(corrupt),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
  assert.ok(error.message.includes(corrupt));
  const text = join(tmp, "records.txt");
  await writeFile(text, "{}");
  await assertRejectsWithCode(
    openOfflineDatabase(text),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
});

test("an aborted scan rejects", async () => {
  const db = await openOfflineDatabase(fixtures);
  await assertRejectsWithCode(
    db.matches(packages, { signal: AbortSignal.abort() }),
    "VULNERABILITY_SOURCE_FAILED",
    WardenError,
  );
});

// Enough records for openOfflineDatabase to share the reading with worker threads; with
// `mainReads: false`, the workers read them all (the main thread only what they do not).
const opens = [
  openOfflineDatabase,
  (path: string) => openOfflineDatabaseWith(path, { mainReads: false }),
];

function bigDatabase(count: number): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < count; i++) {
    const id = `MCPW-BIG-${String(i).padStart(5, "0")}`;
    const record = {
      id,
      modified: "2026-01-10T00:00:00Z",
      summary: `advisory ${i}`,
      details: "x".repeat(500),
      affected: [
        {
          package: { ecosystem: i % 2 === 0 ? "npm" : "PyPI", name: `big-${i % 300}` },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: `1.${i}.0` }] }],
        },
      ],
      references: [{ type: "WEB", url: `https://example.com/${id}` }],
    };
    files[`${i % 2 === 0 ? "npm" : "PyPI"}/${id}.json`] = strToU8(JSON.stringify(record));
  }
  return files;
}

async function writeTree(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(join(root, dirname(name)), { recursive: true });
    await writeFile(join(root, name), bytes);
  }
}

const BIG = 3600;

test("a large database, read by worker threads too, as a directory and as zips", async () => {
  const files = bigDatabase(BIG);
  const tree = join(tmp, "big");
  await writeTree(tree, files);
  const deflated = join(tmp, "big.zip");
  await writeFile(deflated, zipSync(files));
  const stored = join(tmp, "big-stored.zip");
  await writeFile(stored, zipSync(files, { level: 0 }));
  const wanted = [locked("npm", "big-10", "1.5.0"), locked("PyPI", "big-11", "1.0.0")];
  const expectedIds = Object.keys(files)
    .map((name) => basename(name, ".json"))
    .filter((id) => {
      const i = Number(id.slice("MCPW-BIG-".length));
      return (i % 300 === 10 && i > 5) || (i % 300 === 11 && i > 0);
    })
    .sort();
  for (const path of [tree, deflated, stored])
    for (const open of opens) {
      const db = await open(path);
      assert.equal(db.description, `offline OSV database ${basename(path)} (3,600 records)`);
      const found = await db.matches(wanted);
      assert.deepEqual(found.map((m) => m.finding.id).sort(), expectedIds, path);
      const first = found.find((m) => m.finding.id === "MCPW-BIG-00010");
      assert.equal(first?.finding.summary, "advisory 10");
      assert.equal(first?.finding.fixedVersion, "1.10.0");
    }
});

test("in a large database, the first bad record in name order is the one reported", async () => {
  const files = bigDatabase(BIG);
  const bad = (id: string, fixed: string) =>
    strToU8(
      JSON.stringify({
        id,
        modified: "2026-01-10T00:00:00Z",
        affected: [
          {
            package: { ecosystem: "npm", name: "edge" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed }] }],
          },
        ],
      }),
    );
  // Sorted by name, npm/ comes after PyPI/: the first bad record is PyPI/MCPW-BIG-02501.json.
  files["npm/MCPW-BIG-00100.json"] = bad("MCPW-BIG-00100", "not-semver");
  files["PyPI/MCPW-BIG-02501.json"] = bad("MCPW-BIG-02501", "1.0");
  files["PyPI/MCPW-BIG-03001.json"] = strToU8("{ not json");
  const tree = join(tmp, "big-bad");
  await writeTree(tree, files);
  const zip = join(tmp, "big-bad.zip");
  await writeFile(zip, zipSync(files));
  for (const [path, where] of [
    [tree, join(tree, "PyPI", "MCPW-BIG-02501.json")],
    [zip, `${zip} entry PyPI/MCPW-BIG-02501.json`],
  ] as const)
    for (const open of opens) {
      const error = await assertRejectsWithCode(open(path), "OSV_RECORD_INVALID", WardenError);
      assert.ok(error.message.includes(where), error.message);
      assert.ok(error.message.includes("MCPW-BIG-02501"));
      assert.deepEqual(
        error.problems.map((p) => p.path),
        ["affected[0].ranges[0].events[1].fixed"],
      );
    }
});

test("a zip entry whose data does not match its CRC-32 fails naming the entry", async () => {
  const files = bigDatabase(BIG);
  const bytes = zipSync(files, { level: 0 });
  // Flip a byte inside the stored data of one entry (its summary), leaving the directory as is.
  const text = Buffer.from(bytes);
  const at = text.indexOf("advisory 1234");
  text[at] = "A".charCodeAt(0);
  const zip = join(tmp, "big-crc.zip");
  await writeFile(zip, text);
  for (const open of opens) {
    const error = await assertRejectsWithCode(
      open(zip),
      "VULNERABILITY_SOURCE_FAILED",
      WardenError,
    );
    assert.ok(error.message.includes("MCPW-BIG-01234.json"), error.message);
  }
});
