import { errorMessage, WardenError } from "../policies/errors.ts";
import { CliError } from "./errors.ts";
import { runBridge } from "./bridge.ts";

/**
 * The entry of the self-contained bridge executable (`scripts/build-bridge.sh`): the arguments of
 * `mcp-warden bridge` without the word `bridge`. It gathers the process environment and runs it.
 */
runBridge(process.argv.slice(2), {
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  waitForShutdown: () =>
    new Promise((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    }),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const usage = e instanceof CliError && e.code === "USAGE";
    const text = e instanceof WardenError ? e.describe() : `internal error: ${errorMessage(e)}`;
    process.stderr.write(
      `mcp-warden-bridge: ${text}\n${usage ? "usage: bridge [--port 8080] [--host 0.0.0.0] [--max-sessions 16] [--body-limit BYTES] [--idle-timeout 30m] -- CMD [ARG...] | --install FILE\n" : ""}`,
    );
    process.exitCode = 2;
  },
);
