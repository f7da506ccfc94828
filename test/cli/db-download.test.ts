/**
 * `mcp-warden db download` against a loopback HTTP server (node:http) serving OSV-format
 * `all.zip` exports built here from the committed fixtures: a download read back by the offline
 * database, an interrupted one resumed with Range, a corrupt zip refused without touching the
 * copy already there, and a missing ecosystem.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { zipSync } from "fflate";
import { openOfflineDatabase } from "../../supply-chain/scan/osv/offline-database.ts";
import { runCli, ROOT } from "../support/cli.ts";

const FIXTURES = join(ROOT, "test", "fixtures", "osv");

/** OSV's all.zip of one ecosystem folder of the fixtures: `<ID>.json` entries at the top. */
function exportOf(ecosystem: string): Buffer {
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(join(FIXTURES, ecosystem)))
    files[f] = readFileSync(join(FIXTURES, ecosystem, f));
  return Buffer.from(zipSync(files, { level: 9 }));
}

const zips = new Map<string, Buffer>();
/** What the server does with the next request for a path: cut the body after N bytes. */
const cutAfter = new Map<string, number>();
const requests: { path: string; range?: string }[] = [];
let server: Server;
let base: string;
let dir: string;

before(async () => {
  for (const e of ["npm", "PyPI", "Debian"]) zips.set(`/${e}/all.zip`, exportOf(e));
  server = createServer((req, res) => {
    const path = req.url ?? "";
    requests.push({ path, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const body = zips.get(path);
    if (body === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no such object");
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const from = range ? Number(range[1]) : 0;
    if (from >= body.length) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return;
    }
    const rest = body.subarray(from);
    res.writeHead(range ? 206 : 200, {
      "content-type": "application/zip",
      "content-length": String(rest.length),
      ...(range ? { "content-range": `bytes ${from}-${body.length - 1}/${body.length}` } : {}),
    });
    const cut = cutAfter.get(path);
    if (cut !== undefined) {
      cutAfter.delete(path);
      // Half the body, then the connection drops.
      res.write(rest.subarray(0, cut), () => res.destroy());
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "mcp-warden-db-"));
});
after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const download = (target: string, ...ecosystems: string[]) =>
  runCli([
    "db",
    "download",
    target,
    ...ecosystems.flatMap((e) => ["--ecosystem", e]),
    "--base-url",
    base,
  ]);

test("downloads exports into the layout --vulnerability-db reads", async () => {
  const target = join(dir, "fresh");
  const r = await download(target, "npm", "PyPI", "Debian");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /npm: downloading http:\/\/127\.0\.0\.1:\d+\/npm\/all\.zip/);
  assert.match(r.stdout, /^npm\t4 records\tnewest modified \S+\t/m);
  assert.match(r.stdout, /^Debian\t1 records\t/m);
  assert.deepEqual(
    (await readdir(join(target, "npm"))).sort(),
    readdirSync(join(FIXTURES, "npm")).sort(),
  );
  const db = await openOfflineDatabase(target);
  assert.equal(db.description, "offline OSV database fresh (6 records)");
  assert.deepEqual([...(db.ecosystems ?? [])].sort(), ["Debian:12", "PyPI", "npm"]);
});

test("an interrupted download is resumed with a Range request", async () => {
  const target = join(dir, "resumed");
  const zip = zips.get("/npm/all.zip") as Buffer;
  const half = Math.floor(zip.length / 2);
  cutAfter.set("/npm/all.zip", half);
  requests.length = 0;
  const first = await download(target, "npm");
  assert.equal(first.code, 2);
  assert.match(first.stderr, /npm\/all\.zip: interrupted after \d+ bytes .*run again to resume/);
  const part = join(target, ".download", "npm.zip.part");
  const kept = (await stat(part)).size;
  assert.ok(kept > 0 && kept <= half, `kept ${kept} of ${half}`);
  await assert.rejects(stat(join(target, "npm")), "nothing is in place before it is whole");

  const second = await download(target, "npm");
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`npm: resuming .* at byte ${kept}`));
  assert.deepEqual(requests.at(-1), { path: "/npm/all.zip", range: `bytes=${kept}-` });
  await assert.rejects(stat(part), "the partial file is gone");
  const db = await openOfflineDatabase(target);
  assert.equal(db.description, "offline OSV database resumed (4 records)");
});

test("a corrupt zip is refused and the previous copy stays", async () => {
  const target = join(dir, "corrupt");
  assert.equal((await download(target, "PyPI")).code, 0);
  const before = await readdir(join(target, "PyPI"));
  const good = zips.get("/PyPI/all.zip") as Buffer;
  const bad = Buffer.from(good);
  // A byte inside the first entry's compressed data: its CRC-32 no longer matches.
  const nameLength = bad.readUInt16LE(26);
  const extraLength = bad.readUInt16LE(28);
  const at = 30 + nameLength + extraLength + 10;
  bad[at] = (bad[at] ?? 0) ^ 0xff;
  zips.set("/PyPI/all.zip", bad);
  try {
    const r = await download(target, "PyPI");
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /PyPI\/all\.zip: the download is not a sound OSV export \(entry .*\); the previous copy of PyPI is kept/,
    );
    assert.deepEqual(await readdir(join(target, "PyPI")), before);
    await assert.rejects(
      stat(join(target, ".download", "PyPI.zip.part")),
      "a corrupt download is not resumed",
    );
    const db = await openOfflineDatabase(target);
    assert.equal(db.description, "offline OSV database corrupt (1 records)");
  } finally {
    zips.set("/PyPI/all.zip", good);
  }
});

test("a 404 names the ecosystem and the URL; bad usage exits 2", async () => {
  const r = await download(join(dir, "missing"), "NoSuchEcosystem");
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /GET http:\/\/127\.0\.0\.1:\d+\/NoSuchEcosystem\/all\.zip: HTTP 404: OSV has no export for the ecosystem NoSuchEcosystem/,
  );
  const help = await runCli(["db", "download", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /mcp-warden db download DIR/);
  const traversal = await runCli(["db", "download", dir, "--ecosystem", "../x"]);
  assert.equal(traversal.code, 2);
  assert.match(traversal.stderr, /not an OSV ecosystem name/);
  const plain = await runCli(["db", "download", dir, "--base-url", "http://example.com"]);
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /--base-url must be an https:\/\/ URL/);
});
