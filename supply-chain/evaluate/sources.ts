import { readFile } from "node:fs/promises";
import { errorMessage, InputError } from "../../policies/errors.ts";
import { parseIgnoreFile, type IgnoreEntry } from "../../policies/evaluation/ignores.ts";
import { osvApi } from "../scan/osv/api.ts";
import { secureServiceUrl } from "../service-url.ts";
import { openOfflineDatabase } from "../scan/osv/offline-database.ts";
import type { VulnerabilitySource } from "../scan/types.ts";

/** Where advisories come from: an OSV-compatible API, or an offline OSV database (directory or zip). */
export type VulnerabilityDb = { kind: "api"; url: string } | { kind: "offline"; path: string };

export const OSV_API = "https://api.osv.dev";
/**
 * Reads `osv`, an `https://` URL (plain http on loopback only) or a path.
 * @returns the database, or why the value is not one
 */
export function vulnerabilityDbOf(value: string): VulnerabilityDb | { error: string } {
  const v = value.trim() || "osv";
  if (v === "osv") return { kind: "api", url: OSV_API };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return { kind: "offline", path: v };
  const url = secureServiceUrl(v);
  if (url !== undefined) return { kind: "api", url };
  return {
    error: `must be osv, an https:// URL (http only on loopback) or a path, not ${JSON.stringify(v)}`,
  };
}

/** Opens the source; an offline database is read and indexed here (relative to `baseDir`). */
export async function openVulnerabilitySource(
  db: VulnerabilityDb,
  resolvePath: (path: string) => string,
): Promise<VulnerabilitySource> {
  return db.kind === "api"
    ? osvApi({ baseUrl: db.url })
    : openOfflineDatabase(resolvePath(db.path));
}

/**
 * Reads and parses an ignore file.
 * @param shownAs the name messages use (as the user gave it)
 * @throws InputError INPUT_INVALID naming the file
 */
export async function readIgnoreFile(path: string, shownAs: string): Promise<IgnoreEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const reason =
      (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : errorMessage(e);
    throw new InputError("INPUT_INVALID", `ignore file ${shownAs}: ${reason}`, { cause: e });
  }
  return parseIgnoreFile(text, shownAs);
}
