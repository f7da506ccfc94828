import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StoredLog } from "../../gateway/audit/sink.ts";

/**
 * A sink's log copied out as `mcp-warden audit verify` reads it: `log.jsonl` and a `checkpoints/`
 * folder of notes, in a new folder under `parent`. Returns the two paths.
 */
export async function writeStoredLog(
  parent: string,
  log: StoredLog,
): Promise<{ logFile: string; checkpoints: string }> {
  const out = await mkdtemp(join(parent, "verify-"));
  const checkpoints = join(out, "checkpoints");
  await mkdir(checkpoints);
  const logFile = join(out, "log.jsonl");
  await writeFile(logFile, log.lines.map((l) => `${l.text}\n`).join(""));
  for (const [i, c] of log.checkpoints.entries())
    await writeFile(join(checkpoints, `${String(i).padStart(6, "0")}.note`), c.note);
  return { logFile, checkpoints };
}
