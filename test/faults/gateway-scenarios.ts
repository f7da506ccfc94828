/**
 * The gateway's faults, with real processes and sockets: the gateway in its own process
 * (bench/gateway/process.ts: the app `mcp-warden gateway` builds once the server's image is
 * verified, over TLS, OIDC bearer tokens from a loopback issuer, a grant, the audit trail) in
 * front of the published server-everything. Each fault is measured as the webhook's are
 * (scenarios.ts): every call while it lasts answered right or refused (never a call outside the
 * grant allowed), within the call deadline; then the time until a granted call succeeds again;
 * and, for the audit trail, every answered call's record in the sink and the sink's log verified
 * by `mcp-warden audit verify`.
 */
import { join } from "node:path";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import type { AuditSinkConfig } from "../../gateway/audit/open.ts";
import { S3Sink } from "../../gateway/audit/s3-sink.ts";
import type { StoredLog } from "../../gateway/audit/sink.ts";
import { freePort, startEverything } from "../gateway/support.ts";
import { runCli } from "../support/cli.ts";
import { writeStoredLog } from "../support/stored-log.ts";
import { startMinio, type Minio } from "../support/minio.ts";
import {
  call,
  CALL_DEADLINE_MS,
  open,
  rig,
  SPEC,
  startGateway,
  type Called,
  type Gateway,
  type Rig,
  type Session,
} from "./gateway-rig.ts";
import type { FaultResult } from "./scenarios.ts";

const TARGET = "gateway (process, TLS, audit trail) → server-everything";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** gateway/app.ts's answer to a call whose record the trail could not make durable. */
const UNRECORDED = "the call could not be recorded";

/** The records the sink holds, by request id. */
interface Seen {
  log: StoredLog;
  results: Map<string, { intent?: number }>;
  intents: Map<string, number>;
}

function seen(log: StoredLog): Seen {
  const results = new Map<string, { intent?: number }>();
  const intents = new Map<string, number>();
  for (const l of log.lines) {
    const rec = JSON.parse(l.text) as {
      index: number;
      phase: string;
      intent?: number;
      context: { requestId?: string };
    };
    const id = rec.context.requestId;
    if (id === undefined) continue;
    if (rec.phase === "intent") intents.set(id, rec.index);
    else results.set(id, rec.intent === undefined ? {} : { intent: rec.intent });
  }
  return { log, results, intents };
}

/** `mcp-warden audit verify` on the sink's log and checkpoints, copied out; true when it proves all. */
async function verifyWithCli(r: Rig, log: StoredLog): Promise<{ ok: boolean; out: string }> {
  const { logFile, checkpoints } = await writeStoredLog(r.dir, log);
  const v = await runCli([
    "audit",
    "verify",
    logFile,
    "--checkpoints",
    checkpoints,
    "--key",
    r.verifierFile,
    "--format",
    "json",
  ]);
  const covered = v.code === 0 ? (JSON.parse(v.stdout) as { covered?: number }).covered : -1;
  return { ok: v.code === 0 && covered === log.lines.length, out: v.stdout + v.stderr };
}

type Tally = FaultResult & { calls: Called[]; lostRecords: number; auditVerified: boolean };

/** The calls of a tally, told apart for the behaviour column. */
function split(t: Tally) {
  const n = (f: (c: Called) => boolean) => t.calls.filter(f).length;
  return {
    answered: n((c) => c.granted === true && c.outcome === "result"),
    unrecorded: n((c) => c.message === UNRECORDED),
    refused: n((c) => c.granted === false && c.code === -32003),
  };
}

function tally(fault: string): Tally {
  return {
    fault,
    target: TARGET,
    decisions: 0,
    wrongAllows: 0,
    failClosed: 0,
    correct: 0,
    slowestMs: 0,
    deadlineMs: CALL_DEADLINE_MS,
    recoverMs: undefined,
    restarted: false,
    behaviour: "",
    calls: [],
    lostRecords: 0,
    auditVerified: false,
  };
}

/**
 * Counts a call: get-env is outside the grant (right answer: refused, -32003), get-sum inside it
 * (right answer: its result); an error or a cut connection is a fail-closed refusal.
 */
function count(t: Tally, c: Called, granted: boolean): void {
  t.calls.push({ ...c, granted });
  t.decisions++;
  t.slowestMs = Math.max(t.slowestMs, c.ms);
  if (c.outcome === "result") {
    if (granted) t.correct++;
    else t.wrongAllows++;
  } else if (!granted && c.code === -32003) t.correct++;
  else t.failClosed++;
}

/** `workers` agents calling a granted and a refused tool in turn until `stop()`. */
function agents(r: Rig, url: string, t: Tally, workers: number, tag: string) {
  let stopped = false;
  let n = 0;
  const run = Array.from({ length: workers }, async (_, w) => {
    let s: Session | undefined;
    while (!stopped) {
      const granted = n % 2 === 0;
      const requestId = `${tag}-${w}-${n++}`;
      if (!s) {
        s = await open(r, url).catch(() => undefined);
        if (!s) {
          count(t, { outcome: "cut", requestId, ms: 0 }, granted);
          await sleep(50);
          continue;
        }
      }
      const c = await call(r, s, requestId, granted ? "get-sum" : "get-env", { a: w, b: n });
      count(t, c, granted);
      // A session the server forgot (it restarted) or a dead gateway: open a new one, as an
      // agent's client does.
      if (c.outcome === "cut" || (c.outcome === "error" && c.code !== -32003)) s = undefined;
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(run);
    },
  };
}

let recoveries = 0;

/** Polls (bounded) until a granted call through a new session succeeds; ms from `since`. */
async function recovered(r: Rig, url: string, since: number, withinMs = 60_000) {
  while (performance.now() - since < withinMs) {
    const s = await open(r, url).catch(() => undefined);
    if (
      s &&
      (await call(r, s, `recover-${recoveries++}`, "get-sum", { a: 1, b: 2 })).outcome === "result"
    )
      return performance.now() - since;
    await sleep(100);
  }
  return undefined;
}

/**
 * Every call the agent got an answer for has its result record (and a granted call its intent
 * before it); the sink's log verifies with `mcp-warden audit verify`.
 */
async function audited(r: Rig, t: Tally, read: () => Promise<StoredLog>): Promise<string> {
  const s = seen(await read());
  for (const c of t.calls) {
    // Never answered, or refused because it could not be recorded.
    if (c.outcome === "cut" || c.message === UNRECORDED) continue;
    const res = s.results.get(c.requestId);
    if (!res) t.lostRecords++;
    else if (c.outcome === "result" && res.intent !== s.intents.get(c.requestId)) t.lostRecords++;
  }
  const v = await verifyWithCli(r, s.log);
  t.auditVerified = v.ok;
  return `${t.lostRecords} answered calls without their records; ${s.log.lines.length} records, audit verify ${v.ok ? "ok" : `FAILED: ${v.out.slice(0, 200)}`}`;
}

/**
 * The MCP server killed (SIGKILL) while a long call is in flight through the gateway and agents
 * keep calling; then started again on the same port, as its Deployment restarts it. The call in
 * flight gets a JSON-RPC error, every later one a refusal or the right answer, and each leaves
 * its record.
 */
export async function upstreamDiesMidCall(downMs = 3000, workers = 2): Promise<FaultResult> {
  const r = await rig();
  const sinkDir = join(r.dir, "sink");
  const gw = await startGateway(r, { kind: "directory", dir: sinkDir }, SPEC, await freePort());
  try {
    const t = tally("MCP server dies mid-call (SIGKILL), restarted by its Deployment");
    const s = await open(r, gw.url);
    const long = call(r, s, "long", "trigger-long-running-operation", { duration: 5, steps: 5 });
    const load = agents(r, gw.url, t, workers, "u");
    await sleep(500);
    r.server.process.kill("SIGKILL");
    const killed = performance.now();
    const inFlight = await long;
    const answeredAfter = performance.now() - killed;
    count(t, inFlight, true);
    await sleep(downMs);
    r.server = await startEverything({ port: r.serverPort });
    const back = performance.now();
    t.recoverMs = await recovered(r, gw.url, back);
    await load.stop();
    await gw.stop();
    const audit = await audited(r, t, () => new DirectorySink(sinkDir).read());
    t.behaviour =
      `the call in flight: ${inFlight.outcome === "error" ? `JSON-RPC error ${inFlight.code}` : inFlight.outcome} ${(answeredAfter / 1000).toFixed(2)} s after the kill; ` +
      `server away ${downMs / 1000} s: ${t.correct} right answers, ${t.failClosed} refused (-32603 "the server is unavailable" with HTTP 502, or no session opened); ${audit}`;
    if (inFlight.outcome !== "error") t.recoverMs = undefined;
    return t;
  } finally {
    await gw.kill();
    await r.stop();
  }
}

/**
 * The S3 sink (MinIO with Object Lock) killed for `downMs` while agents call, the policy's
 * `onSinkFailure` deciding: `deny` refuses calls it cannot record (-32603), `block` holds them
 * until the sink is back. Recovery is measured from MinIO answering again; the gateway is not
 * restarted. Records queued meanwhile reach the sink, and the log verifies.
 */
export async function auditSinkUnreachable(
  mode: "deny" | "block",
  downMs = 3000,
  workers = 2,
): Promise<FaultResult> {
  const r = await rig();
  let minio: Minio | undefined;
  let gw: Gateway | undefined;
  try {
    minio = await startMinio();
    await minio.lockedBucket("faults");
    const sink: AuditSinkConfig = {
      kind: "s3",
      bucket: "faults",
      prefix: "gw/",
      endpoint: minio.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
    };
    gw = await startGateway(
      r,
      sink,
      { ...SPEC, onSinkFailure: mode },
      await freePort(),
      minio.credentialsEnv,
    );
    const t = tally(`audit sink (S3) unreachable, onSinkFailure: ${mode}`);
    const load = agents(r, gw.url, t, workers, "a");
    await sleep(300);
    await minio.kill();
    await sleep(downMs);
    await minio.restart();
    const back = performance.now();
    t.recoverMs = await recovered(r, gw.url, back);
    await load.stop();
    await gw.stop();
    const m = minio;
    const audit = await audited(r, t, () =>
      new S3Sink({ client: m.client, bucket: "faults", prefix: "gw/", retentionDays: 1 }).read(),
    );
    const c = split(t);
    t.behaviour =
      `MinIO down ${downMs / 1000} s: ${c.answered} granted calls answered (recorded), ${c.unrecorded} refused as unrecordable (-32603), ` +
      `${c.refused} calls outside the grant refused (-32003), ${t.failClosed - c.unrecorded} other failures; ${audit}`;
    return t;
  } finally {
    await gw?.kill();
    await minio?.stop();
    await r.stop();
  }
}

/**
 * The gateway killed (SIGKILL) with calls in flight, and started again on the same port, buffer
 * and sink, as its Deployment restarts it: calls cut by the kill are never answered (the agent
 * sees the connection drop), every answered call has its records, the restarted trail resumes
 * the log, and `mcp-warden audit verify` proves it. Recovery: the first right answer after the kill.
 */
export async function gatewayKilledMidCall(workers = 4, killAfter = 60): Promise<FaultResult> {
  const r = await rig();
  const sinkDir = join(r.dir, "sink");
  const sink: AuditSinkConfig = { kind: "directory", dir: sinkDir };
  const port = await freePort();
  let gw = await startGateway(r, sink, SPEC, port);
  try {
    const t = tally("gateway killed mid-call (SIGKILL), restarted by its Deployment");
    t.restarted = true;
    const load = agents(r, gw.url, t, workers, "k");
    const until = performance.now() + 30_000;
    while (t.correct < killAfter && performance.now() < until) await sleep(10);
    await gw.kill();
    const killed = performance.now();
    gw = await startGateway(r, sink, SPEC, port);
    t.recoverMs = await recovered(r, gw.url, killed);
    await sleep(500);
    await load.stop();
    await gw.stop();
    const audit = await audited(r, t, () => new DirectorySink(sinkDir).read());
    const cut = t.calls.filter((c) => c.outcome === "cut").length;
    t.behaviour = `${t.correct} right answers, ${cut} calls cut (in flight at the kill, or refused at the connection until the new process listened); ${audit}`;
    return t;
  } finally {
    await gw.kill();
    await r.stop();
  }
}
