import { startBridge, type BridgeOptions } from "../gateway/bridge/bridge.ts";
import { installSelf } from "../gateway/bridge/install.ts";
import { CliError } from "./errors.ts";
import { duration, parseOptions, positiveNumber } from "./options.ts";

/**
 * `mcp-warden bridge [options] -- CMD [ARG...]`: the stdio server CMD as Streamable HTTP. The same
 * function runs in the self-contained bridge executable (`cli/bridge-main.ts`).
 */

export interface BridgeIo {
  stderr: (text: string) => void;
  /** The container's environment, handed to the server process as it is. */
  env: Record<string, string | undefined>;
  waitForShutdown: () => Promise<string>;
}

export const BRIDGE_DEFAULTS = {
  port: 8080,
  host: "0.0.0.0",
  maxSessions: 16,
  bodyLimit: 4 * 1024 * 1024,
  idleTimeout: "30m",
} as const;

export type BridgeInputs = Omit<BridgeOptions, "env" | "log" | "stderr"> | { install: string };

export function parseBridgeArgs(args: string[]): BridgeInputs {
  const split = args.indexOf("--");
  const command = split === -1 ? [] : args.slice(split + 1);
  const { values, positionals } = parseOptions({
    args: split === -1 ? args : args.slice(0, split),
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: "string", default: String(BRIDGE_DEFAULTS.port) },
      host: { type: "string", default: BRIDGE_DEFAULTS.host },
      "max-sessions": { type: "string", default: String(BRIDGE_DEFAULTS.maxSessions) },
      "body-limit": { type: "string", default: String(BRIDGE_DEFAULTS.bodyLimit) },
      "idle-timeout": { type: "string", default: BRIDGE_DEFAULTS.idleTimeout },
      install: { type: "string" },
    },
  });
  if (values.install !== undefined) {
    if (command.length > 0 || positionals.length > 0)
      throw new CliError("USAGE", "--install FILE takes no server command");
    return { install: values.install };
  }
  if (positionals.length > 0)
    throw new CliError(
      "USAGE",
      `put the server's command after --: mcp-warden bridge [options] -- ${positionals.join(" ")}`,
    );
  const [program, ...rest] = command;
  if (program === undefined || program === "")
    throw new CliError("USAGE", "bridge needs the server's command after --");
  const port = positiveNumber("--port", values.port);
  if (!Number.isInteger(port) || port > 65535)
    throw new CliError("USAGE", `--port ${values.port} is not a TCP port`);
  const maxSessions = positiveNumber("--max-sessions", values["max-sessions"]);
  if (!Number.isInteger(maxSessions))
    throw new CliError("USAGE", `--max-sessions ${values["max-sessions"]} must be a whole number`);
  return {
    command: program,
    args: rest,
    host: values.host,
    port,
    maxSessions,
    bodyLimit: positiveNumber("--body-limit", values["body-limit"]),
    idleTimeoutMs: duration("--idle-timeout", values["idle-timeout"]),
  };
}

function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** Runs the bridge until the process is told to stop; exit 0 after a clean shutdown. */
export async function runBridge(args: string[], io: BridgeIo): Promise<number> {
  const inputs = parseBridgeArgs(args);
  if ("install" in inputs) {
    await installSelf(inputs.install);
    return 0;
  }
  const log = (event: Record<string, unknown>) =>
    io.stderr(
      `${JSON.stringify({ time: new Date().toISOString(), service: "mcp-warden-bridge", ...event })}\n`,
    );
  const running = await startBridge({
    ...inputs,
    env: definedEnv(io.env),
    log,
    stderr: (chunk) => io.stderr(chunk.toString("utf8")),
  });
  log({ event: "listening", url: running.url, command: [inputs.command, ...inputs.args] });
  const signal = await io.waitForShutdown();
  log({ event: "shutting-down", signal });
  await running.close();
  return 0;
}
