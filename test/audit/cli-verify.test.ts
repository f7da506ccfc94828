/** `mcp-warden audit verify` and `audit keygen` on a log the real writer made, clean and tampered. */
import assert from "node:assert/strict";
import { cp, mkdtemp, readdir, readFile, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openCheckpoint, signCheckpoint } from "../../policies/audit/checkpoint.ts";
import { rootOf, verifyInclusion } from "../../policies/audit/merkle.ts";
import { parseSigner, verifierOf } from "../../policies/audit/note.ts";
import { canonicalRecord, parseRecordLine, recordLeaf } from "../../policies/audit/record.ts";
import { compileAuditSettings } from "../../policies/audit/settings.ts";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import { AuditTrail } from "../../gateway/audit/trail.ts";
import { runCli, runMain } from "../support/cli.ts";
import { ORIGIN, observed } from "./helpers.ts";

const root = await mkdtemp(join(tmpdir(), "audit-cli-"));
const keygen = await runCli(["audit", "keygen", "audit.test/team-a", "--out", join(root, "gw")]);
assert.equal(keygen.code, 0, keygen.stderr);
const signerText = (await readFile(join(root, "gw.key"), "utf8")).trim();
const verifierFile = join(root, "gw.pub");
assert.equal((await import("node:fs")).statSync(join(root, "gw.key")).mode & 0o777, 0o600);

// Ten records from the real writer, a checkpoint after every three and one at close.
const sinkDir = join(root, "sink");
const trail = await AuditTrail.open({
  origin: ORIGIN,
  signer: parseSigner(signerText),
  sink: new DirectorySink(sinkDir),
  bufferDir: join(root, "buffer"),
  settings: compileAuditSettings({ checkpoint: { every: 3, interval: "1h" } }),
  stdout: () => undefined,
});
for (let i = 0; i < 5; i++) {
  const c = observed(i);
  await trail.intent(c);
  await trail.record(c);
}
await trail.close();
const logFile = join(root, "audit.jsonl");
const stored = await new DirectorySink(sinkDir).read();
await writeFile(logFile, stored.lines.map((l) => `${l.text}\n`).join(""));
const checkpoints = join(sinkDir, "checkpoints");
const logLines = stored.lines.map((l) => l.text);

let n = 0;
/** A copy of the log with its lines edited. */
async function tampered(edit: (lines: string[]) => string[]): Promise<string> {
  const f = join(root, `tampered-${n++}.jsonl`);
  await writeFile(
    f,
    edit([...logLines])
      .map((l) => `${l}\n`)
      .join(""),
  );
  return f;
}

async function verify(log: string, more: string[] = [], dir = checkpoints) {
  const r = await runMain([
    "audit",
    "verify",
    log,
    "--checkpoints",
    dir,
    "--key",
    verifierFile,
    "--format",
    "json",
    ...more,
  ]);
  return {
    ...r,
    report:
      r.stdout.length > 0
        ? (JSON.parse(r.stdout) as {
            verified: boolean;
            code?: string;
            covered?: number;
            inclusion?: {
              index: number;
              leaf: string;
              treeSize: number;
              root: string;
              path: string[];
            };
          })
        : undefined,
  };
}

test("a clean log verifies, from a file and from the sink's directory", async () => {
  const r = await verify(logFile);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.report?.verified, true);
  assert.equal(r.report?.covered, 10);
  const d = await verify(join(sinkDir, "records"));
  assert.equal(d.code, 0, d.stderr);
  const text = await runCli([
    "audit",
    "verify",
    logFile,
    "--checkpoints",
    checkpoints,
    "--key",
    verifierFile,
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /10 records; \d+ checkpoints verified, the newest covering 10/);
});

test("--record N prints an inclusion proof a third party can check against the signed root", async () => {
  const r = await verify(logFile, ["--record", "4"]);
  assert.equal(r.code, 0, r.stderr);
  const p = r.report?.inclusion;
  assert.ok(p !== undefined);
  const leaf = recordLeaf(canonicalRecord(parseRecordLine(logLines[4] as string, "l")));
  assert.equal(p.leaf, leaf.toString("base64"));
  // Group commit signs a checkpoint once a batch is stored, so it may cover more than `every`
  // records: the proof is against the smallest stored checkpoint that covers record 4.
  const sizes = stored.checkpoints.map(
    (c) => openCheckpoint(c.note, verifierOf(parseSigner(signerText))).size,
  );
  const first = Math.min(...sizes.filter((s) => s > 4));
  assert.ok(
    first < 10,
    `a checkpoint before the one at close covers record 4 (${sizes.join(", ")})`,
  );
  assert.equal(p.treeSize, first, "the first checkpoint that covers record 4");
  assert.ok(
    verifyInclusion(
      leaf,
      4,
      p.treeSize,
      p.path.map((h) => Buffer.from(h, "base64")),
      Buffer.from(p.root, "base64"),
    ),
  );
});

const cases: [string, string, () => Promise<string>][] = [
  [
    "a changed record",
    "RECORD_CHANGED",
    () => tampered((l) => l.map((x, i) => (i === 7 ? x.replace("req-3", "req-9") : x))),
  ],
  ["a removed record", "RECORD_MISSING", () => tampered((l) => l.filter((_, i) => i !== 4))],
  [
    "a reordered log",
    "LOG_REORDERED",
    () => tampered((l) => [l[0], l[2], l[1], ...l.slice(3)] as string[]),
  ],
  ["a truncated tail", "LOG_TRUNCATED", () => tampered((l) => l.slice(0, 8))],
];
for (const [what, code, make] of cases) {
  test(`${what} is caught as ${code}`, async () => {
    const r = await verify(await make());
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual([r.report?.verified, r.report?.code], [false, code]);
  });
}

test("a forged checkpoint is caught as CHECKPOINT_FORGED", async () => {
  const dir = join(root, "forged");
  await cp(checkpoints, dir, { recursive: true });
  const [first] = (await readdir(dir)).sort();
  const path = join(dir, first as string);
  await chmod(path, 0o644);
  // The signature is kept; the tree size it signed is edited.
  await writeFile(path, (await readFile(path, "utf8")).replace(/^(.*\n)3\n/, "$12\n"));
  const r = await verify(logFile, [], dir);
  assert.deepEqual([r.code, r.report?.code], [1, "CHECKPOINT_FORGED"]);
  // Another key under the same name signs nothing this verifier trusts.
  const other = await runCli(["audit", "keygen", "audit.test/team-a"]);
  const dir2 = join(root, "forged-2");
  await cp(checkpoints, dir2, { recursive: true });
  const leaves = logLines.map((l) => recordLeaf(canonicalRecord(parseRecordLine(l, "l"))));
  await writeFile(
    join(dir2, "extra.note"),
    signCheckpoint(
      { origin: ORIGIN, size: 10, root: rootOf(leaves) },
      parseSigner(other.stdout.split("\n")[0] as string),
    ),
  );
  assert.equal((await verify(logFile, [], dir2)).report?.code, "CHECKPOINT_FORGED");
});

test("two checkpoints no single log satisfies are caught as CHECKPOINT_INCONSISTENT", async () => {
  const dir = join(root, "split-view");
  await cp(checkpoints, dir, { recursive: true });
  // The key signs, for size 5, the root of another history than the one it later extended.
  const fork = logLines
    .slice(0, 5)
    .map((l, i) =>
      recordLeaf(canonicalRecord(parseRecordLine(i === 2 ? l.replace("req-1", "req-7") : l, "l"))),
    );
  await writeFile(
    join(dir, "fork.note"),
    signCheckpoint({ origin: ORIGIN, size: 5, root: rootOf(fork) }, parseSigner(signerText)),
  );
  const r = await verify(logFile, [], dir);
  assert.deepEqual([r.code, r.report?.code], [1, "CHECKPOINT_INCONSISTENT"]);
});

test("usage errors exit 2 and name what is wrong", async () => {
  const noKey = await runMain(["audit", "verify", logFile, "--checkpoints", checkpoints]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /--key/);
  const beyond = await runMain([
    "audit",
    "verify",
    logFile,
    "--checkpoints",
    checkpoints,
    "--key",
    verifierFile,
    "--record",
    "10",
  ]);
  assert.equal(beyond.code, 2);
  const badKey = await runMain([
    "audit",
    "verify",
    logFile,
    "--checkpoints",
    checkpoints,
    "--key",
    "x+00000000+AAAA",
  ]);
  assert.equal(badKey.code, 2);
  await rm(join(root, "none"), { force: true });
  const noCheckpoints = await runMain([
    "audit",
    "verify",
    logFile,
    "--checkpoints",
    join(root, "buffer", "none"),
    "--key",
    verifierFile,
  ]);
  assert.equal(noCheckpoints.code, 2);
});
