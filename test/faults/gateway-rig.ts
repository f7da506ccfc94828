/**
 * The gateway as its own process for the faults and the soak (bench/gateway/process.ts: the app
 * `mcp-warden gateway` builds once the server's image is verified, over TLS, OIDC bearer tokens
 * from a loopback issuer, a grant, the audit trail) in front of the published server-everything,
 * and an agent's view of it: sessions and tools/call answered, refused or cut.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import type { BenchGatewayConfig } from "../../bench/gateway/process.ts";
import type { AuditSinkConfig } from "../../gateway/audit/open.ts";
import { keyPairFromSeed } from "../../policies/audit/note.ts";
import type { AuditSpec } from "../../policies/audit/settings.ts";
import { writeLoopbackTls } from "../e2e/support/certs.ts";
import {
  freePort,
  openSession,
  startEverything,
  startOidcIssuer,
  type OidcIssuer,
  type RunningServer,
} from "../gateway/support.ts";

/** An agent gives up on a call after this long: a hang shows as a refusal past the deadline. */
export const CALL_DEADLINE_MS = 10_000;
const PROCESS = new URL("../../bench/gateway/process.ts", import.meta.url).pathname;

/** How one call ended, as the agent saw it. */
export interface Called {
  outcome: "result" | "error" | "cut";
  /** The JSON-RPC error code and message, for an error. */
  code?: number;
  message?: string;
  requestId: string;
  ms: number;
  /** Whether the tool called is in the agent's grant (set when counted). */
  granted?: boolean;
}

export interface Rig {
  dir: string;
  ca: string;
  certFile: string;
  keyFile: string;
  auditKeyFile: string;
  verifierFile: string;
  oidc: OidcIssuer;
  server: RunningServer;
  serverPort: number;
  token: string;
  dispatcher: Agent;
  stop(): Promise<void>;
}

/** The gateway's surroundings: TLS files, audit keys, an OIDC issuer, server-everything. */
export async function rig(): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-warden-gw-faults-"));
  const { ca, certFile, keyFile } = await writeLoopbackTls(dir);
  const keys = keyPairFromSeed("faults.gateway/audit", randomBytes(32));
  const auditKeyFile = join(dir, "audit.key");
  const verifierFile = join(dir, "audit.pub");
  await writeFile(auditKeyFile, keys.signer);
  await writeFile(verifierFile, keys.verifier);
  const serverPort = await freePort();
  const [oidc, server] = await Promise.all([
    startOidcIssuer(),
    startEverything({ port: serverPort }),
  ]);
  const dispatcher = new Agent({ connect: { ca: ca.cert }, connections: 32 });
  const r: Rig = {
    dir,
    ca: ca.cert,
    certFile,
    keyFile,
    auditKeyFile,
    verifierFile,
    oidc,
    server,
    serverPort,
    token: await oidc.token({ sub: "bench" }, "1h"),
    dispatcher,
    async stop() {
      await r.server.stop();
      await oidc.close();
      await dispatcher.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return r;
}

export interface Gateway {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
  /** SIGTERM: the trail sends what waits and signs a last checkpoint. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const GRANTED = ["get-sum", "trigger-long-running-operation"];

/** The gateway as its own process, its trail into `sink`; on `port`, as a restart takes it. */
export async function startGateway(
  r: Rig,
  sink: AuditSinkConfig,
  spec: AuditSpec,
  port: number,
  env: Record<string, string> = {},
): Promise<Gateway> {
  const config: BenchGatewayConfig = {
    upstream: `http://127.0.0.1:${r.serverPort}/mcp`,
    issuer: r.oidc.issuer,
    certFile: r.certFile,
    keyFile: r.keyFile,
    logFile: join(r.dir, "gateway.log"),
    audit: { keyFile: r.auditKeyFile, bufferDir: join(r.dir, "buffer"), sink, spec },
    tools: GRANTED,
    port,
  };
  const child = fork(PROCESS, [], {
    env: { ...process.env, ...env, MCP_WARDEN_BENCH_GATEWAY: JSON.stringify(config) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the gateway did not start")), 60_000);
    child.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code) => reject(new Error(`the gateway exited (${code})`)));
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    url: `https://127.0.0.1:${port}/mcp`,
    exited,
    async stop() {
      if (gone()) return;
      child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      if (gone()) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** An MCP session through the gateway, as an agent opens it. */
export interface Session {
  url: string;
  headers: Record<string, string>;
}

export async function open(r: Rig, url: string): Promise<Session> {
  const headers = await openSession(url, r.dispatcher, { authorization: `Bearer ${r.token}` });
  return { url, headers };
}

let nextId = 1;

/** One tools/call, answered (a result or a JSON-RPC error) or cut (connection lost, deadline). */
export async function call(
  r: Rig,
  s: Session,
  requestId: string,
  name: string,
  args: Record<string, unknown>,
): Promise<Called> {
  const id = nextId++;
  const started = performance.now();
  const done = (c: Omit<Called, "ms" | "requestId">): Called => ({
    ...c,
    requestId,
    ms: performance.now() - started,
  });
  try {
    const res = await undiciFetch(s.url, {
      method: "POST",
      headers: { ...s.headers, "x-request-id": requestId },
      dispatcher: r.dispatcher,
      signal: AbortSignal.timeout(CALL_DEADLINE_MS),
      body: JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name, arguments: args },
      }),
    });
    const text = await res.text();
    // A JSON answer, or the SSE event carrying the answer to this id.
    const bodies = text.includes("data:")
      ? text
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5))
      : [text];
    for (const b of bodies) {
      let m: { id?: unknown; result?: unknown; error?: { code?: number; message?: string } };
      try {
        m = JSON.parse(b) as typeof m;
      } catch {
        continue;
      }
      if (m.id !== id && m.id !== null) continue;
      if (m.error)
        return done({ outcome: "error", code: m.error.code ?? 0, message: m.error.message ?? "" });
      if (m.result !== undefined) return done({ outcome: "result" });
    }
    return done({ outcome: "cut" });
  } catch {
    return done({ outcome: "cut" });
  }
}

/** The trail's settings: a checkpoint every 50 records or each second. */
export const SPEC: AuditSpec = { retention: "1d", checkpoint: { every: 50, interval: "1s" } };
