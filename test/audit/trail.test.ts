import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Registry } from "prom-client";
import { compileAuditSettings, type AuditSpec } from "../../policies/audit/settings.ts";
import { verifyLog } from "../../policies/audit/verify.ts";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import { AuditWriteError } from "../../gateway/audit/errors.ts";
import type { AuditSink } from "../../gateway/audit/sink.ts";
import { AuditTrail } from "../../gateway/audit/trail.ts";
import { ORIGIN, observed, testKeys } from "./helpers.ts";

const keys = testKeys();

async function dirs() {
  const root = await mkdtemp(join(tmpdir(), "audit-trail-"));
  return { sinkDir: join(root, "sink"), bufferDir: join(root, "buffer") };
}

function openTrail(
  sink: AuditSink,
  bufferDir: string,
  spec: AuditSpec = {},
  more: Partial<Parameters<typeof AuditTrail.open>[0]> = {},
) {
  const out: string[] = [];
  const trail = AuditTrail.open({
    origin: ORIGIN,
    signer: keys.signer,
    sink,
    bufferDir,
    settings: compileAuditSettings(spec),
    stdout: (l) => out.push(l),
    ...more,
  });
  return { trail, out };
}

/**
 * The real directory sink, with its writes made to fail on demand: the sink's failure, injected
 * at its boundary, while everything it stores is real.
 */
class Unreliable implements AuditSink {
  failing = false;
  /** Writes never answer, as from a gateway that was killed mid-write. */
  hung = false;
  inner: DirectorySink;
  constructor(inner: DirectorySink) {
    this.inner = inner;
  }
  async putRecords(first: number, lines: readonly string[]) {
    if (this.hung) await new Promise(() => undefined);
    if (this.failing) throw new Error("sink unavailable");
    await this.inner.putRecords(first, lines);
  }
  async putCheckpoint(size: number, note: string) {
    if (this.failing) throw new Error("sink unavailable");
    await this.inner.putCheckpoint(size, note);
  }
  read() {
    return this.inner.read();
  }
}

test("intent and result records reach stdout, the buffer and the sink, with checkpoints every N and at close", async () => {
  const { sinkDir, bufferDir } = await dirs();
  const sink = new DirectorySink(sinkDir);
  const { trail: opening, out } = openTrail(sink, bufferDir, {
    checkpoint: { every: 4, interval: "1h" },
  });
  const trail = await opening;
  const calls = Array.from({ length: 5 }, (_, i) => observed(i));
  const intents = await Promise.all(calls.map((c) => trail.intent(c)));
  const results = await Promise.all(calls.map((c) => trail.record(c)));
  const denial = await trail.record(
    observed(9, { agent: null, decision: { allowed: false, reason: "no grant" } }),
  );
  await trail.close();

  assert.equal(trail.size, 11);
  assert.deepEqual(
    [...intents, ...results, denial].sort((a, b) => a - b),
    Array.from({ length: 11 }, (_, i) => i),
  );
  const stored = await sink.read();
  assert.equal(stored.lines.length, 11);
  assert.deepEqual(
    out,
    stored.lines.map((l) => l.text),
  );
  const records = stored.lines.map(
    (l) =>
      JSON.parse(l.text) as {
        phase: string;
        intent?: number;
        index: number;
        context: { requestId: string };
      },
  );
  // Every result names its call's intent record.
  for (const r of records.filter((x) => x.phase === "result" && x.intent !== undefined)) {
    assert.equal(records[r.intent as number]?.context.requestId, r.context.requestId);
  }
  const v = verifyLog(stored.lines, stored.checkpoints, keys.verifier, { origin: ORIGIN });
  assert.equal(v.covered, 11, "the closing checkpoint covers every record");
  assert.ok(
    v.checkpoints.some((c) => c.size >= 4 && c.size < 11),
    "a checkpoint was signed after N records",
  );
  assert.equal(
    (await readFile(join(bufferDir, "audit.jsonl"), "utf8")).trim().split("\n").length,
    11,
  );
  await assert.rejects(
    trail.intent(observed(1)),
    (e: unknown) => e instanceof AuditWriteError && e.code === "AUDIT_CLOSED",
  );
});

test("a checkpoint is signed every interval while records arrive", async () => {
  const { sinkDir, bufferDir } = await dirs();
  const sink = new DirectorySink(sinkDir);
  const trail = await openTrail(sink, bufferDir, { checkpoint: { every: 1000, interval: "50ms" } })
    .trail;
  await trail.record(observed(1));
  for (let i = 0; i < 100 && (await sink.read()).checkpoints.length === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal((await sink.read()).checkpoints.length, 1);
  await trail.close();
});

test("a restarted trail resumes at the sink's tree size and sends what only the buffer holds", async () => {
  const { sinkDir, bufferDir } = await dirs();
  const stuck = new Unreliable(new DirectorySink(sinkDir));
  const first = await openTrail(stuck, bufferDir).trail;
  await first.record(observed(0));
  await first.record(observed(1));
  // The sink stops answering: the next records are synced into the buffer and wait there, and
  // this trail is abandoned as a killed gateway would be.
  stuck.hung = true;
  void first.record(observed(2));
  void first.record(observed(3));
  for (let i = 0; i < 100 && first.lag < 2; i++) await new Promise((r) => setTimeout(r, 10));
  const sink = new DirectorySink(sinkDir);
  assert.equal((await sink.read()).lines.length, 2);
  // The restarted gateway: a new trail on the same buffer and sink.
  const second = await openTrail(sink, bufferDir).trail;
  assert.equal(second.size, 2);
  await second.record(observed(4));
  await second.close();
  const stored = await sink.read();
  const ids = stored.lines.map(
    (l) => (JSON.parse(l.text) as { context: { requestId: string } }).context.requestId,
  );
  // Record 2 was synced into the buffer when its write to the sink began, so it is carried over.
  // Record 3 never left memory: its caller was never answered (its call never forwarded), and
  // the restarted trail numbers the next record 3.
  assert.deepEqual(ids, ["req-0", "req-1", "req-2", "req-4"]);
  assert.equal(verifyLog(stored.lines, stored.checkpoints, keys.verifier).covered, 4);
});

test("block: calls wait while the sink fails, the lag metric shows it, and nothing is dropped", async () => {
  const { sinkDir, bufferDir } = await dirs();
  const sink = new Unreliable(new DirectorySink(sinkDir));
  const registry = new Registry();
  const trail = await openTrail(
    sink,
    bufferDir,
    { onSinkFailure: "block" },
    { registry, maxLag: 3 },
  ).trail;
  sink.failing = true;
  let settled = 0;
  const calls = [0, 1, 2, 3, 4].map((n) => trail.record(observed(n)).then(() => settled++));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(settled, 0, "no call returns before its record is durable");
  const lag = (await registry.getSingleMetric("mcp_warden_audit_sink_lag_records")?.get())
    ?.values[0]?.value;
  assert.equal(lag, 3, "two calls are held back before their records are even numbered");
  sink.failing = false;
  await Promise.all(calls);
  await trail.close();
  const stored = await sink.read();
  assert.equal(stored.lines.length, 5);
  assert.equal(verifyLog(stored.lines, stored.checkpoints, keys.verifier).covered, 5);
});

test("deny: calls fail closed while the sink fails, and their records still reach it afterwards", async () => {
  const { sinkDir, bufferDir } = await dirs();
  const sink = new Unreliable(new DirectorySink(sinkDir));
  const trail = await openTrail(
    sink,
    bufferDir,
    { onSinkFailure: "deny" },
    { sinkTimeoutMs: 100, maxLag: 2 },
  ).trail;
  await trail.record(observed(0));
  sink.failing = true;
  await assert.rejects(
    trail.intent(observed(1)),
    (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_FAILED",
  );
  await assert.rejects(
    trail.intent(observed(2)),
    (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_FAILED",
  );
  await assert.rejects(
    trail.intent(observed(3)),
    (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_BEHIND",
  );
  sink.failing = false;
  await trail.close();
  const stored = await sink.read();
  assert.equal(
    stored.lines.length,
    3,
    "the two refused intents are in the log; the third was never numbered",
  );
  assert.equal(verifyLog(stored.lines, stored.checkpoints, keys.verifier).covered, 3);
});

test("a trail refuses to resume on a sink whose log was tampered with", async () => {
  const { sinkDir, bufferDir } = await dirs();
  const sink = new DirectorySink(sinkDir);
  const trail = await openTrail(sink, bufferDir).trail;
  await trail.record(observed(0));
  await trail.record(observed(1));
  await trail.close();
  const names = await readdir(join(sinkDir, "records"));
  const path = join(sinkDir, "records", names[names.length - 1] as string);
  await chmod(path, 0o644);
  await writeFile(path, (await readFile(path, "utf8")).replace("req-1", "req-X"));
  await assert.rejects(
    openTrail(sink, join(bufferDir, "fresh")).trail,
    (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_CORRUPT",
  );
});
