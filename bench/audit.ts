// npm run bench:audit — the cost of the audit trail: calls through AuditTrail (an intent and a
// result record each, both durable before they return) into the directory sink and into a real
// MinIO with Object Lock (scripts/build-minio.sh), at 1 and 32 concurrent callers, side by side in
// one run. Reports records/s and the latency each call gains (intent + result), median and p99.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { keyPairFromSeed, parseSigner } from "../policies/audit/note.ts";
import { compileAuditSettings } from "../policies/audit/settings.ts";
import { DirectorySink } from "../gateway/audit/directory-sink.ts";
import { S3Sink } from "../gateway/audit/s3-sink.ts";
import type { AuditSink } from "../gateway/audit/sink.ts";
import { AuditTrail } from "../gateway/audit/trail.ts";
import { observed } from "../test/audit/helpers.ts";
import { SKIP_NO_MINIO, startMinio, type Minio } from "../test/support/minio.ts";
import { printBenchResult } from "./result.ts";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const MAX_MS = Number(process.env.BENCH_MS ?? 20_000);
const signer = parseSigner(keyPairFromSeed("bench.audit/x", randomBytes(32)).signer);
const dir = await mkdtemp(join(tmpdir(), "mcp-warden-bench-audit-"));

interface Result {
  sink: string;
  concurrency: number;
  calls: number;
  recordsPerSecond: number;
  medianMs: number;
  p99Ms: number;
}

/** One log per run: a sink holds one log, and a trail refuses to extend another origin's. */
async function measure(
  name: string,
  sinkFor: (run: string) => AuditSink,
  concurrency: number,
): Promise<Result> {
  const sink = sinkFor(`${name}-${concurrency}`);
  const trail = await AuditTrail.open({
    origin: `mcp-warden/bench/${name}-${concurrency}`,
    signer,
    sink,
    bufferDir: join(dir, `buffer-${name}-${concurrency}`),
    settings: compileAuditSettings(),
    stdout: () => undefined,
  });
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < CALLS && performance.now() - start < MAX_MS) {
      const call = observed(next++);
      const t0 = performance.now();
      await trail.intent(call);
      await trail.record(call);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  await trail.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    sink: name,
    concurrency,
    calls: latencies.length,
    recordsPerSecond: Math.round((2 * latencies.length) / seconds),
    medianMs: Number(at(0.5).toFixed(2)),
    p99Ms: Number(at(0.99).toFixed(2)),
  };
}

let minio: Minio | undefined;
try {
  const sinks: [string, (run: string) => AuditSink][] = [
    ["directory", (run) => new DirectorySink(join(dir, "sink", run))],
  ];
  if (SKIP_NO_MINIO === false) {
    minio = await startMinio();
    await minio.lockedBucket("audit");
    const client = minio.client;
    sinks.push([
      "minio",
      (run) => new S3Sink({ client, bucket: "audit", prefix: `${run}/`, retentionDays: 1 }),
    ]);
  } else console.error(SKIP_NO_MINIO);
  const results: Result[] = [];
  for (const [name, sink] of sinks)
    for (const c of [1, 32]) results.push(await measure(name, sink, c));
  console.table(results);
  const one = results.filter((r) => r.concurrency === 1);
  printBenchResult(
    "audit",
    results.map((r) => ({
      name: `${r.sink}, ${r.concurrency} caller${r.concurrency === 1 ? "" : "s"}`,
      value: r.recordsPerSecond,
      unit: "records/s",
      baseline: {
        name: `${r.sink}, 1 caller`,
        value: one.find((o) => o.sink === r.sink)?.recordsPerSecond ?? r.recordsPerSecond,
      },
    })),
  );
  for (const name of new Set(results.map((r) => r.sink))) {
    const [one, many] = [1, 32].map((c) =>
      results.find((r) => r.sink === name && r.concurrency === c),
    );
    if (one && many)
      console.log(
        `${name}: 32 callers write ${(many.recordsPerSecond / one.recordsPerSecond).toFixed(1)}x the records/s of one (group commit)`,
      );
  }
} finally {
  await minio?.stop();
  await rm(dir, { recursive: true, force: true });
}
