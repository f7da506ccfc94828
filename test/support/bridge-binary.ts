import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./cli.ts";

const run = promisify(execFile);

/**
 * The self-contained bridge executable, built by `scripts/build-bridge.sh` (esbuild, Node's single
 * executable application blob, postject) or taken from its cache. Throws with the script's
 * message when it cannot be built here; callers skip with it.
 */
export async function bridgeBinary(): Promise<string> {
  const { stdout } = await run(join(ROOT, "scripts", "build-bridge.sh"), [], {
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const path = stdout.trim().split("\n").pop() ?? "";
  if (path === "") throw new Error("scripts/build-bridge.sh printed no path");
  return path;
}
