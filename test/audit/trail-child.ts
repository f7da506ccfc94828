/**
 * A gateway's audit trail under load, as a process of its own so a test can SIGKILL it: WORKERS
 * concurrent callers each write an intent and a result per call, printing `ACK <id> <index>` once
 * the result is durable. SIGTERM stops new calls, lets those in flight finish and closes the trail.
 *   node trail-child.ts SINK BUFFER_DIR SIGNER_KEY RUN WORKERS MAX_CALLS
 * SINK is a directory, or `s3:<endpoint>/<bucket>/<prefix>` with credentials in the environment.
 */
import { compileAuditSettings } from "../../policies/audit/settings.ts";
import { parseSigner } from "../../policies/audit/note.ts";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import { AuditTrail } from "../../gateway/audit/trail.ts";
import { S3Sink } from "../../gateway/audit/s3-sink.ts";
import type { AuditSink } from "../../gateway/audit/sink.ts";
import { S3Client } from "@aws-sdk/client-s3";
import { ORIGIN, observed } from "./helpers.ts";

const [sinkSpec, bufferDir, signer, run, workers, maxCalls] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
function sinkOf(spec: string): AuditSink {
  const m = /^s3:(https?:\/\/[^/]+)\/([^/]+)\/(.+)$/.exec(spec);
  if (m === null) return new DirectorySink(spec);
  const client = new S3Client({
    endpoint: m[1],
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
  });
  return new S3Sink({ client, bucket: m[2] as string, prefix: m[3] as string, retentionDays: 1 });
}

const trail = await AuditTrail.open({
  origin: ORIGIN,
  signer: parseSigner(signer),
  sink: sinkOf(sinkSpec),
  bufferDir,
  settings: compileAuditSettings({ checkpoint: { every: 100, interval: "200ms" } }),
  stdout: () => undefined,
});
process.stdout.write(`OPEN ${trail.size}\n`);
let stopping = false;
let next = 0;
process.on("SIGTERM", () => (stopping = true));

async function worker(): Promise<void> {
  while (!stopping && next < Number(maxCalls)) {
    const n = next++;
    const call = observed(n, { context: { requestId: `${run}-${n}` } });
    await trail.intent(call);
    const index = await trail.record(call);
    process.stdout.write(`ACK ${run}-${n} ${index}\n`);
  }
}
await Promise.all(Array.from({ length: Number(workers) }, () => worker()));
await trail.close();
process.stdout.write(`CLOSED ${trail.size}\n`);
