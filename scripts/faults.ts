// npm run faults — every fault of test/faults/scenarios.ts against real processes and sockets, and
// the table (fault → behaviour → time to recover) into docs/faults.md. Exits non-zero when a fault
// got a wrong allow, a decision slower than its deadline, or no recovery without a restart.
// FAULT_MS sets how long each registry fault, the API server's and the MCP server's absence and a
// blocking audit sink's outage last (3000); revoked credentials last FAULT_MS + 1 s, a denying
// sink's outage FAULT_MS + 5 s (past its 5 s sink timeout).
import { writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { format } from "prettier";
import {
  registryFault,
  startRegistryBench,
  tlsRotationUnderLoad,
  webhookKilledMidRequest,
  type FaultResult,
} from "../test/faults/scenarios.ts";
import {
  auditSinkUnreachable,
  gatewayKilledMidCall,
  upstreamDiesMidCall,
} from "../test/faults/gateway-scenarios.ts";
import {
  apiServerRestarted,
  credentialsRevoked,
  startApiBench,
  watchDropped,
} from "../test/faults/apiserver-scenarios.ts";
import { k8sBinDir, SKIP_NO_BINARIES } from "../test/e2e/support/cluster.ts";
import { SKIP_NO_MINIO } from "../test/support/minio.ts";

const FAULT_MS = Number(process.env.FAULT_MS ?? 3000);
const results: FaultResult[] = [];
const started = new Date();

const bench = await startRegistryBench();
try {
  for (const fault of [
    "down",
    "refuse",
    "hang",
    "flap",
    "oversized manifest",
    "malformed manifest",
  ] as const) {
    console.error(`fault: ${fault}`);
    results.push(await registryFault(bench, fault, FAULT_MS));
  }
} finally {
  await bench.stop();
}
console.error("fault: TLS rotation under load");
results.push(await tlsRotationUnderLoad());
console.error("fault: webhook killed mid-request");
results.push(await webhookKilledMidRequest());
const skipped: string[] = [];
if (k8sBinDir() === undefined) skipped.push(`the API server's faults (${SKIP_NO_BINARIES})`);
else {
  const api = await startApiBench();
  try {
    console.error("fault: watches dropped");
    results.push(await watchDropped(api));
    console.error("fault: API server restarted");
    results.push(await apiServerRestarted(api, FAULT_MS));
    console.error("fault: credentials revoked");
    results.push(await credentialsRevoked(api, FAULT_MS + 1000));
  } finally {
    await api.stop();
  }
}
console.error("fault: the MCP server dies mid-call");
results.push(await upstreamDiesMidCall(FAULT_MS));
if (SKIP_NO_MINIO) skipped.push(`the audit sink unreachable (${SKIP_NO_MINIO})`);
else {
  console.error("fault: the audit sink unreachable (deny)");
  results.push(await auditSinkUnreachable("deny", FAULT_MS + 5000));
  console.error("fault: the audit sink unreachable (block)");
  results.push(await auditSinkUnreachable("block", FAULT_MS));
}
console.error("fault: the gateway killed mid-call");
results.push(await gatewayKilledMidCall());

const s = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);
const ok = (r: FaultResult) =>
  r.wrongAllows === 0 &&
  r.slowestMs <= r.deadlineMs &&
  r.recoverMs !== undefined &&
  (r.lostRecords ?? 0) === 0 &&
  r.auditVerified !== false;
const rows = results.map(
  (r) =>
    `| ${r.fault} | ${r.target} | ${r.behaviour} | ${r.wrongAllows} | ${s(r.slowestMs)} / ${s(r.deadlineMs)} | ${s(r.recoverMs)}${r.restarted ? " (process restarted)" : " (no restart)"} | ${ok(r) ? "ok" : "**FAILED**"} |`,
);
const md = `# Faults: behaviour and recovery

Produced by \`npm run faults\` (scripts/faults.ts, scenarios in test/faults/scenarios.ts) on
${started.toISOString().slice(0, 16).replace("T", " ")} UTC, on ${cpus()[0]?.model ?? "?"} × ${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}; each registry fault
lasted ${FAULT_MS / 1000} s (FAULT_MS). \`test/faults/faults.test.ts\` asserts the same properties on a
quick subset in \`npm test\`.

How each fault is made, with real processes and sockets only:

- **Registry faults**: Debian's docker-registry behind the hostile front (test/support/hostile-front.ts,
  which answers manifests itself for the oversized and malformed cases) behind a TCP proxy on loopback
  (test/support/fault-proxy.ts) that stops listening (down), resets connections (refusing), accepts and
  never answers (slow past the deadline) or resets every other connection (flapping). The webhook is
  \`buildApp\` with the registry evidence as \`serve\` builds it (a 3 s admission deadline, a third of it
  per registry call), a policy trusting one key with every rule enforced. Each fault uses images never
  seen before (no cached verification answers for the registry): a signed and evaluated image (right
  answer: allow) and an unsigned one (right answer: deny), asked for over and over while the fault
  lasts; then the fault ends and the signed image is asked for until it is allowed again.
- **TLS certificate rotated under load**: \`mcp-warden serve\` as a process with
  \`--tls-reload-interval=1s\`, 8 clients posting reviews over TLS; new key and certificate renamed into
  place (as a mounted Secret changes). Recovery: the new certificate served.
- **Webhook killed mid-request**: \`mcp-warden serve\` killed with SIGKILL while 16 reviews are in flight;
  a review cut off is denied by the API server (failurePolicy: Fail). A new process starts on the same
  port, as its Deployment restarts it; recovery is its first correct answer after the kill.
- **The API server's faults** (test/faults/apiserver-scenarios.ts): \`mcp-warden serve\` as a process
  with \`--stale-after=2s\`, authenticated as its ServiceAccount with deploy/rbac.yaml, watching a real
  kube-apiserver (and etcd) through the TCP proxy, which can cut its connections. Reviews posted to it
  in turn while the fault lasts: a compliant pod in a namespace isolated by a deny-all NetworkPolicy
  (right answer: allowed; with cluster state stale past \`--stale-after\`, a fail-closed denial: the
  isolation cannot be verified), a compliant pod in a namespace without one and a privileged pod (right
  answer: denied). Recovery: from the fault's end until every watch is connected again (the highest
  \`mcp_warden_cluster_state_stale_seconds\` back to 0, its peak given in the row) and the isolated pod
  allowed again; the webhook is never restarted.
  - **Watches dropped**: every connection to the API server cut mid-stream, new ones refused for 1 s.
  - **API server restarted**: kube-apiserver stopped (SIGTERM), started again after FAULT_MS on the same
    port, flags and etcd; the outage lasts until it is ready again.
  - **Credentials revoked**: the ServiceAccount's ClusterRoleBinding deleted and the watches dropped
    (an established watch outlives its permission; any reconnect does not), so every list and watch
    gets 403 until the binding is created again. The test API server authenticates the ServiceAccount
    by a static token, so the 401 of a deleted token is not made here; the watches have no path of
    their own for a 401 or a 403: any failed list or watch is retried with backoff and counts toward
    \`--stale-after\`.
- **The gateway's faults** (test/faults/gateway-scenarios.ts): the gateway as its own process
  (bench/gateway/process.ts: the app \`mcp-warden gateway\` builds once the server's image is
  verified; TLS, OIDC bearer tokens from a loopback issuer, a grant of \`get-sum\` and
  \`trigger-long-running-operation\`, its audit trail with an intent and a result record per call)
  in front of the published server-everything over Streamable HTTP. Agents call \`get-sum\` (right
  answer: its result) and \`get-env\`, outside the grant (right answer: refused, -32003), in turn;
  an agent gives up on a call after 10 s (the deadline here). A wrong allow is a result for
  \`get-env\`. Afterwards every call the agents got an answer for must have its result record
  (and a granted call its intent) in the sink, and \`mcp-warden audit verify\` must prove the
  sink's whole log against its signed checkpoints.
  - **MCP server dies mid-call**: server-everything SIGKILLed 0.5 s into a 5 s
    \`trigger-long-running-operation\`, started again on the same port after FAULT_MS. Recovery:
    from the server listening again to the first granted call answered (a new session: the old
    ones died with the server). The gateway is not restarted.
  - **Audit sink unreachable**: MinIO (S3 with Object Lock) SIGKILLed and started again on the
    same port and data. With \`onSinkFailure: deny\` the outage lasts past the trail's 5 s sink
    timeout; with \`block\` it lasts FAULT_MS. Recovery: from MinIO answering again to the first
    granted call answered; the gateway is not restarted.
  - **Gateway killed mid-call**: the gateway SIGKILLed with 4 agents' calls in flight, started again
    on the same port, buffer and sink directory. Recovery: from the kill to the first right answer.

A wrong allow is an allow of a review (or a call) whose steady-state decision is a denial.
"Slowest" is the slowest decision while the fault lasted, against the admission deadline (for the
gateway, the agent's 10 s).

| Fault | Target | Behaviour | Wrong allows | Slowest / deadline | Time to recover | Verdict |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Recovery after a registry fault is bounded by the verification cache's failure TTL (10 s,
supply-chain/verify/facts-cache.ts): a failed lookup is reused that long, so a registry that comes back
is asked again at most 10 s later.

What the gateway does when its audit sink fails (gateway/audit/trail.ts): every record is first
queued, and a single writer sends batches to the sink and to the pod's buffer file, retrying a
failing sink with a backoff that doubles from 50 ms to 5 s; a record is never dropped. With
\`onSinkFailure: block\` (the default) a call waits until its record is acknowledged, however long
that takes, and once 10 000 records are waiting new calls wait for the backlog to drain. With
\`deny\` a call waits at most 5 s for the acknowledgement, then is refused (-32603 "the call could
not be recorded"); after a failed write every new call is refused at once until a batch succeeds
again; more than 10 000 records waiting refuse calls too. The records of refused calls stay queued
and reach the sink when it is back, so the log has no gap. Under \`deny\` a refusal of a call outside the
grant is still answered while its record cannot be made (the record stays queued); under \`block\` it
waits for its record like any call. Recovery after the sink
returns is bounded by the retry backoff (at most 5 s) and needs no restart.${
  skipped.length > 0
    ? `

Not measured in this run: ${skipped.join("; ")}.`
    : ""
}

Not timed here: the directory sink full or unwritable (this machine runs the faults as root, where
permissions do not stop a write, and has no small filesystem to fill; the trail treats every write
failure alike, as above).
`;
writeFileSync(
  new URL("../docs/faults.md", import.meta.url),
  await format(md, { parser: "markdown" }),
);
console.log(md);
process.exitCode = results.every(ok) ? 0 : 1;
