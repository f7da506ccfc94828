import { readFile } from "node:fs/promises";
import { errorMessage, InputError } from "../../policies/errors.ts";
import { parseIgnoreFile, type IgnoreEntry } from "../../policies/evaluation/ignores.ts";
import { osvApi } from "../scan/osv/api.ts";
import { secureServiceUrl } from "../service-url.ts";
import { openOfflineDatabase } from "../scan/osv/offline-database.ts";
import { ScanError } from "../scan/errors.ts";
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

/** How old an offline database may be: past `warnAfterMs` a warning, past `failAfterMs` an error. */
export interface DatabaseAgeLimits {
  warnAfterMs: number;
  failAfterMs?: number;
}

export const DEFAULT_DB_WARN_AGE = "7d";

const AGE_UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/**
 * Reads an age: a sum of numbers with units `d`, `h`, `m`, `s` (`7d`, `36h`, `1d12h`).
 * @returns milliseconds, or undefined when the text is not an age
 */
export function parseAge(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?[dhms])+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([dhms])/g))
    total += Number(m[1]) * (AGE_UNIT_MS[m[2] ?? ""] ?? 0);
  return total > 0 ? total : undefined;
}

function formatAge(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${Math.floor(days * 10) / 10} days` : `${Math.floor(ms / 3_600_000)} hours`;
}

/**
 * What the source says of itself for one scan: an offline database's records per ecosystem
 * scanned and its newest record's `modified`; an API's description alone.
 */
export function describeSource(source: VulnerabilitySource, scanned: readonly string[]): string {
  if (source.coverage === undefined) return source.description;
  const per = scanned.map((e) => `${e} ${(source.coverage?.get(e) ?? 0).toLocaleString("en-US")}`);
  return `${source.description}${per.length > 0 ? `; records for ${per.join(", ")}` : ""}; newest record modified ${source.newestModified ?? "unknown"}`;
}

/**
 * Judges an offline database's age (its newest record's `modified`) at `now`. An API is always
 * current.
 * @returns a warning when it is older than `warnAfterMs`
 * @throws ScanError VULNERABILITY_SOURCE_FAILED when it is older than `failAfterMs`, or has no
 *   readable `modified` while a maximum is set
 */
export function checkDatabaseAge(
  source: VulnerabilitySource,
  now: Date,
  limits: DatabaseAgeLimits,
): string | undefined {
  if (source.coverage === undefined) return undefined;
  const newest = source.newestModified === undefined ? NaN : Date.parse(source.newestModified);
  if (Number.isNaN(newest)) {
    if (limits.failAfterMs !== undefined)
      throw new ScanError(
        "VULNERABILITY_SOURCE_FAILED",
        `${source.description}: no record says when it was modified, so its age is unknown (--vulnerability-db-max-age)`,
      );
    return `${source.description}: no record says when it was modified, so its age is unknown`;
  }
  const age = now.getTime() - newest;
  const what = `${source.description}: its newest record was modified ${source.newestModified ?? ""}, ${formatAge(Math.max(0, age))} ago`;
  if (limits.failAfterMs !== undefined && age > limits.failAfterMs)
    throw new ScanError(
      "VULNERABILITY_SOURCE_FAILED",
      `${what}, older than the maximum of ${formatAge(limits.failAfterMs)} (--vulnerability-db-max-age); refresh it with \`mcp-warden db download\``,
    );
  if (age > limits.warnAfterMs)
    return `${what}, older than ${formatAge(limits.warnAfterMs)}: refresh it with \`mcp-warden db download\``;
  return undefined;
}
