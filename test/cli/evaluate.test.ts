/** `mcp-warden evaluate`: the Action's evaluation run locally, on real servers and real lockfiles. */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { runCli, ROOT } from "../support/cli.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
import { sarifValidator } from "../support/sarif.ts";

const FIXTURES = join(ROOT, "test", "fixtures");
const OSV = join(FIXTURES, "osv", "npm");

describe("mcp-warden evaluate", { timeout: 300_000 }, () => {
  let dir: string;
  const entries: Record<string, string> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-evaluate-"));
    entries["2025.3.28"] = await installNpmServer(NPM_SERVERS.filesystemOld);
    entries["2025.7.1"] = await installNpmServer(NPM_SERVERS.filesystem);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function release(version: "2025.3.28" | "2025.7.1"): Promise<string> {
    const ws = join(dir, version);
    await mkdir(join(ws, "data"), { recursive: true });
    const manifest = JSON.parse(
      await readFile(join(FIXTURES, "mcp", "server-filesystem.server.json"), "utf8"),
    ) as { version: string; _meta: Record<string, unknown> };
    manifest.version = version;
    manifest._meta["dev.mcp-warden/tools"] = JSON.parse(
      await readFile(join(FIXTURES, "mcp", `server-filesystem@${version}.tools.json`), "utf8"),
    ) as unknown;
    manifest._meta["dev.mcp-warden/stdio"] = {
      command: process.execPath,
      args: [entries[version], join(ws, "data")],
    };
    await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
    await copyFile(
      join(FIXTURES, "lockfiles", `npm-filesystem-${version}`, "package-lock.json"),
      join(ws, "package-lock.json"),
    );
    return ws;
  }

  test("the fixed release passes, capped at L2 locally (nothing signed, no CI provenance)", async () => {
    const ws = await release("2025.7.1");
    const r = await runCli(["evaluate", "--vulnerability-db", OSV], { cwd: ws });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^verdict +pass$/m);
    assert.match(r.stdout, /^trust level +L2$/m);
    assert.match(r.stdout, /skip AI-03/);
    assert.match(r.stdout, /listed from the running server/);

    // A level the manifest claims (MCP Trust Framework extension) is reported, not believed.
    const manifest = JSON.parse(await readFile(join(ws, "server.json"), "utf8")) as {
      _meta: Record<string, unknown>;
    };
    manifest._meta["org.mpaktrust"] = { mtf_version: "0.1", level: 4 };
    await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
    const claimed = await runCli(["evaluate", "--vulnerability-db", OSV], { cwd: ws });
    assert.equal(claimed.code, 0, claimed.stderr);
    assert.match(claimed.stdout, /^trust level +L2$/m);
    assert.match(
      claimed.stdout,
      /warning: the manifest claims MCP Trust Framework level L4 .*reached L2/,
    );
  });

  test("the vulnerable release fails; JSON is a valid predicate, SARIF a valid log", async () => {
    const ws = await release("2025.3.28");
    const text = await runCli(["evaluate", "--vulnerability-db", OSV], { cwd: ws });
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /fail SC-02/);
    assert.match(text.stdout, /CVE-2025-53109/);

    const json = await runCli(["evaluate", "--vulnerability-db", OSV, "--format", "json"], {
      cwd: ws,
    });
    assert.equal(json.code, 1, json.stderr);
    const predicate = parsePredicate(JSON.parse(json.stdout));
    assert.equal(predicate.verdict, "fail");
    assert.equal(predicate.source, undefined, "no CI, no source block");

    const sarif = await runCli(["evaluate", "--vulnerability-db", OSV, "--format", "sarif"], {
      cwd: ws,
    });
    assert.equal(sarif.code, 1, sarif.stderr);
    assert.deepEqual(sarifValidator()(JSON.parse(sarif.stdout)).slice(0, 5), []);

    // With the threshold at critical, the high advisories are recorded but do not fail.
    const lenient = await runCli(
      ["evaluate", "--vulnerability-db", OSV, "--fail-on-severity", "critical"],
      { cwd: ws },
    );
    assert.equal(lenient.code, 0, lenient.stdout);
    assert.match(lenient.stdout, /pass SC-02/);
  });

  test("a package OSV lists as malicious: the server is never started, and the release fails", async () => {
    const ws = await release("2025.7.1");
    const db = join(ws, "osv-db");
    await mkdir(db, { recursive: true });
    for (const name of await readdir(OSV)) await copyFile(join(OSV, name), join(db, name));
    await writeFile(
      join(db, "MAL-2099-0001.json"),
      JSON.stringify({
        id: "MAL-2099-0001",
        modified: "2099-01-01T00:00:00Z",
        summary: "Malicious code in @modelcontextprotocol/server-filesystem (test record)",
        affected: [
          {
            package: { ecosystem: "npm", name: "@modelcontextprotocol/server-filesystem" },
            versions: ["2025.7.1"],
          },
        ],
      }),
    );
    // The server would leave a mark if it ran.
    const marker = join(ws, "data", "started");
    const manifest = JSON.parse(await readFile(join(ws, "server.json"), "utf8")) as {
      _meta: Record<string, unknown>;
    };
    manifest._meta["dev.mcp-warden/stdio"] = {
      command: process.execPath,
      args: ["-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`],
    };
    await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
    const r = await runCli(["evaluate", "--vulnerability-db", db], { cwd: ws });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /not started: the lockfiles hold packages known to be malicious \(@modelcontextprotocol\/server-filesystem@2025\.7\.1 MAL-2099-0001\)/,
    );
    assert.match(r.stdout, /fail SC-02/);
    await assert.rejects(readFile(marker), "the server never ran");
  });

  test("bad input exits 2 naming the file or flag", async () => {
    const missing = await runCli(
      ["evaluate", "--manifest", "nope.json", "--vulnerability-db", OSV],
      { cwd: dir },
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /manifest .*nope\.json: no such file/);
    const flag = await runCli(["evaluate", "--fail-on-severity", "severe"], { cwd: dir });
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--fail-on-severity severe is not one of/);
    assert.doesNotMatch(missing.stderr + flag.stderr, /^\s+at /m);
  });
});
