/**
 * A gateway's audit trail under load, as a process of its own so a test can SIGKILL it: WORKERS
 * concurrent callers each write an intent and a result per call, printing `ACK <id> <index>` once
 * the result is durable. SIGTERM stops new calls, lets those in flight finish and closes the trail.
 *   node trail-child.ts SINK_DIR BUFFER_DIR SIGNER_KEY RUN WORKERS MAX_CALLS
 */
import { compileAuditSettings } from "../../policies/audit/settings.ts";
import { parseSigner } from "../../policies/audit/note.ts";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import { AuditTrail } from "../../gateway/audit/trail.ts";
import { ORIGIN, observed } from "./helpers.ts";

const [sinkDir, bufferDir, signer, run, workers, maxCalls] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const trail = await AuditTrail.open({
  origin: ORIGIN,
  signer: parseSigner(signer),
  sink: new DirectorySink(sinkDir),
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
