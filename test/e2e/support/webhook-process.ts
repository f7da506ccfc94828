import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { request } from "node:https";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "../../support/cli.ts";

export interface WebhookProcess {
  port: number;
  /** The process id, for sampling its memory and CPU. */
  pid: number;
  /** The command-line arguments it was started with. */
  args: string[];
  url: string;
  logs(): string;
  /**
   * The logs once `pattern` appears in them: the process writes its log in batches (at most a
   * second late), so a line may follow the event it records.
   */
  waitForLog(pattern: RegExp, withinMs?: number): Promise<string>;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a node failure or the OOM killer does. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function readyz(port: number, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/readyz", ca, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * Runs `mcp-warden serve` as its own process, as a cluster would, and waits until /readyz says
 * ready (policy loaded, watches synced).
 */
export async function startWebhookProcess(opts: {
  /** Without one, the webhook serves with empty cluster state. */
  kubeconfig?: string;
  cert: string;
  key: string;
  ca: string;
  port?: number;
  args?: string[];
  readyWithinMs?: number;
}): Promise<WebhookProcess> {
  const dir = mkdtempSync(join(tmpdir(), "mcp-warden-webhook-"));
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  writeFileSync(certFile, opts.cert);
  writeFileSync(keyFile, opts.key);
  const port = opts.port ?? (await freePort());
  const args = [
    BIN,
    "serve",
    `--tls-cert=${certFile}`,
    `--tls-key=${keyFile}`,
    `--port=${port}`,
    "--host=127.0.0.1",
    ...(opts.kubeconfig ? [`--kubeconfig=${opts.kubeconfig}`] : []),
    "--tls-reload-interval=1s",
    ...(opts.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "" },
  });
  let output = "";
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readyWithinMs ?? 30_000);
  while ((await readyz(port, opts.ca)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`mcp-warden serve did not become ready:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    pid: child.pid!,
    args,
    url: `https://127.0.0.1:${port}/validate`,
    logs: () => output,
    waitForLog: async (pattern, withinMs = 10_000) => {
      const until = Date.now() + withinMs;
      while (!pattern.test(output)) {
        if (Date.now() > until)
          throw new Error(`no log line matching ${String(pattern)}:\n${output.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return output;
    },
    stop,
    kill,
  };
}

/** The serial number of the certificate a TLS server on loopback presents right now ("" if none). */
export function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on("error", () => resolve(""));
  });
}
