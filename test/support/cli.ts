import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { main } from "../../cli/main.ts";

export const BIN = new URL("../../bin/mcp-warden.js", import.meta.url).pathname;
export const ROOT = new URL("../../", import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI entry point in a child process, as a user would. */
export function runCli(
  args: string[],
  opts: { stdin?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      stdio: "pipe",
      ...(opts.env ? { env: opts.env } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
    child.stdin.end(opts.stdin ?? "");
  });
}

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Everything written, in order, with the stream it went to. */
  writes: { stream: "stdout" | "stderr"; text: string }[];
}

/** Runs `main()` in this process with an Io that records what it writes, as the bin would call it. */
export async function runMain(args: string[], opts: { stdin?: string } = {}): Promise<MainResult> {
  const writes: MainResult["writes"] = [];
  const code = await main({
    argv: args,
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    stdout: (text) => writes.push({ stream: "stdout", text }),
    stderr: (text) => writes.push({ stream: "stderr", text }),
    debug: false,
    inCluster: false,
    kubeconfig: undefined,
    waitForShutdown: () => new Promise<string>(() => undefined),
  });
  const of = (stream: "stdout" | "stderr") =>
    writes
      .filter((w) => w.stream === stream)
      .map((w) => w.text)
      .join("");
  return { code, stdout: of("stdout"), stderr: of("stderr"), writes };
}
