/**
 * Load with a crash: many concurrent calls through the real writer in a child process, SIGKILLed
 * mid-stream and restarted on the same buffer and sink. Every acknowledged call is in the sink,
 * nothing is duplicated, and the log verifies.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { verifyLog } from "../../policies/audit/verify.ts";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import { S3Sink } from "../../gateway/audit/s3-sink.ts";
import type { StoredLog } from "../../gateway/audit/sink.ts";
import { SKIP_NO_MINIO, startMinio } from "../support/minio.ts";
import { testKeys } from "./helpers.ts";

const CHILD = new URL("trail-child.ts", import.meta.url).pathname;
const WORKERS = 32;
const MAX_CALLS = 20_000;

interface Run {
  child: ChildProcess;
  acks: Map<string, number>;
  lines: string[];
  exited: Promise<void>;
}

function start(
  sink: string,
  bufferDir: string,
  signer: string,
  name: string,
  env?: NodeJS.ProcessEnv,
): Run {
  const child = spawn(
    process.execPath,
    [CHILD, sink, bufferDir, signer, name, String(WORKERS), String(MAX_CALLS)],
    {
      stdio: ["ignore", "pipe", "inherit"],
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    },
  );
  const run: Run = {
    child,
    acks: new Map(),
    lines: [],
    exited: new Promise((r) => child.once("exit", () => r())),
  };
  let rest = "";
  child.stdout?.on("data", (b: Buffer) => {
    const parts = (rest + b.toString()).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) {
      run.lines.push(line);
      const m = /^ACK (\S+) (\d+)$/.exec(line);
      if (m) run.acks.set(m[1] as string, Number(m[2]));
    }
  });
  return run;
}

/** Waits, bounded, until the run has acknowledged `count` calls. */
async function acked(run: Run, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (run.acks.size < count) {
    if (run.child.exitCode !== null)
      throw new Error(`child exited: ${run.lines.slice(-5).join("\n")}`);
    if (Date.now() > deadline)
      throw new Error(`only ${run.acks.size} of ${count} calls acknowledged in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills a loaded trail writing to `sink`, restarts it, and checks what `read` finds there. */
async function killAndRestart(
  sink: string,
  read: () => Promise<StoredLog>,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  {
    const keys = testKeys();
    const bufferDir = join(await mkdtemp(join(tmpdir(), "audit-kill-")), "buffer");

    const first = start(sink, bufferDir, keys.texts.signer, "a", env);
    await acked(first, 400);
    first.child.kill("SIGKILL");
    await first.exited;
    const killedAcks = new Map(first.acks);

    const second = start(sink, bufferDir, keys.texts.signer, "b", env);
    await acked(second, 400);
    second.child.kill("SIGTERM");
    await second.exited;
    assert.equal(second.child.exitCode, 0, second.lines.slice(-5).join("\n"));

    const stored = await read();
    const v = verifyLog(stored.lines, stored.checkpoints, keys.verifier);
    assert.equal(v.covered, stored.lines.length, "the closing checkpoint covers the whole log");
    const records = stored.lines.map(
      (l) =>
        JSON.parse(l.text) as {
          index: number;
          phase: string;
          intent?: number;
          context: { requestId: string };
        },
    );
    const results = new Map<string, number>();
    const intents = new Set<string>();
    for (const r of records) {
      const id = r.context.requestId;
      if (r.phase === "intent") {
        assert.ok(!intents.has(id), `one intent for ${id}`);
        intents.add(id);
      } else {
        assert.ok(!results.has(id), `one result for ${id}`);
        results.set(id, r.index);
        assert.equal(
          records[r.intent as number]?.context.requestId,
          id,
          `${id}'s result names its intent`,
        );
      }
    }
    // Every acknowledged call is there, at the index it was acknowledged with.
    for (const [id, index] of [...killedAcks, ...second.acks])
      assert.equal(results.get(id), index, id);
    // The restarted run closed cleanly: its results are exactly its acknowledged calls.
    const secondResults = [...results.keys()].filter((id) => id.startsWith("b-"));
    assert.equal(secondResults.length, second.acks.size);
    // The killed run may have made a few results durable whose acknowledgement it never printed:
    // at most one per caller in flight.
    const firstResults = [...results.keys()].filter((id) => id.startsWith("a-"));
    assert.ok(
      firstResults.length >= killedAcks.size && firstResults.length <= killedAcks.size + WORKERS,
    );
    // The restart resumed where the sink ended: its first record follows the killed run's last.
    const opened = Number(/^OPEN (\d+)$/.exec(second.lines[0] ?? "")?.[1]);
    assert.ok(opened >= 2 * killedAcks.size);
    process.stdout.write(
      `# killed after ${killedAcks.size} acknowledged calls; restarted at tree size ${opened}; ${records.length} records, ${second.acks.size} calls after restart\n`,
    );
  }
}

test(
  "a trail killed under load and restarted keeps every acknowledged call, once, in a log that verifies",
  { timeout: 300_000 },
  async () => {
    const sinkDir = join(await mkdtemp(join(tmpdir(), "audit-kill-sink-")), "sink");
    await killAndRestart(sinkDir, () => new DirectorySink(sinkDir).read());
  },
);

test(
  "the same on MinIO: killed under load and restarted, nothing acknowledged is lost",
  { timeout: 300_000, skip: SKIP_NO_MINIO },
  async () => {
    const minio = await startMinio();
    try {
      await minio.lockedBucket("audit");
      const sink = new S3Sink({
        client: minio.client,
        bucket: "audit",
        prefix: "kill/",
        retentionDays: 1,
      });
      await killAndRestart(
        `s3:${minio.endpoint}/audit/kill/`,
        () => sink.read(),
        minio.credentialsEnv,
      );
    } finally {
      await minio.stop();
    }
  },
);
