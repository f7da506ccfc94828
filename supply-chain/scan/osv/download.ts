/**
 * Downloads OSV's per-ecosystem exports (`<base>/<ecosystem>/all.zip`) into a directory, in the
 * export layout the offline database reads (`<DIR>/<Ecosystem>/<ID>.json`). A download is resumed
 * with an HTTP Range request when a partial file is left from an interrupted one; the whole zip is
 * checked (every entry's size and CRC-32, and that it is JSON) before anything replaces the
 * previous copy of the ecosystem, which is swapped in by renaming.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../../policies/errors.ts";
import { ScanError } from "../errors.ts";
import { inflateZipEntry, zipEntries, type ZipEntry } from "./zip.ts";

export const OSV_EXPORT_BASE = "https://osv-vulnerabilities.storage.googleapis.com";

export interface DownloadOptions {
  /** Default `OSV_EXPORT_BASE`. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Progress lines (for stderr). */
  progress?: (line: string) => void;
  /** A transfer that receives nothing for this long fails. Default 60 s. */
  stallTimeoutMs?: number;
}

export interface DownloadResult {
  ecosystem: string;
  /** Where its records are now: `<DIR>/<ecosystem>`. */
  path: string;
  records: number;
  bytes: number;
  /** Bytes that were already on disk from an interrupted download. */
  resumedFrom: number;
  /** The newest `modified` of the records. */
  newest?: string;
}

/** OSV ecosystem names as its export names its folders (`PyPI`, `Debian`, `crates.io`). */
const ECOSYSTEM = /^[A-Za-z0-9][A-Za-z0-9 ._:+-]*$/;
/** No OSV record comes near this. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

function failed(message: string, cause?: unknown): ScanError {
  return new ScanError("VULNERABILITY_SOURCE_FAILED", message, { cause });
}

/** Whether the name can be an ecosystem folder (no separators, no `..`). */
export function validEcosystemName(name: string): boolean {
  return ECOSYSTEM.test(name) && !name.includes("..");
}

/**
 * Downloads one ecosystem's `all.zip` into `dir`. On failure the previous copy stays; a transfer
 * cut short leaves its partial file (`<dir>/.download/<ecosystem>.zip.part`) to be resumed.
 * @throws ScanError VULNERABILITY_SOURCE_FAILED naming the URL (a 404 names the ecosystem), or
 *   the zip that failed its checks
 */
export async function downloadEcosystem(
  dir: string,
  ecosystem: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  if (!validEcosystemName(ecosystem))
    throw failed(`${JSON.stringify(ecosystem)} is not an OSV ecosystem name`);
  const base = (opts.baseUrl ?? OSV_EXPORT_BASE).replace(/\/+$/, "");
  const url = `${base}/${encodeURIComponent(ecosystem)}/all.zip`;
  const work = join(dir, ".download");
  await mkdir(work, { recursive: true });
  const part = join(work, `${ecosystem}.zip.part`);
  const progress = opts.progress ?? ((): void => {});

  const have = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  const resumedFrom = await transfer(url, ecosystem, part, have, opts, progress);

  let bytes: Buffer;
  try {
    bytes = await readFile(part);
  } catch (e) {
    throw failed(`cannot read the download of ${url}: ${errorMessage(e)}`, e);
  }
  let records: { name: string; text: string }[];
  let newest: string | undefined;
  try {
    ({ records, newest } = verify(bytes));
  } catch (e) {
    // A corrupt file cannot be resumed into a good one: start over next time.
    await rm(part, { force: true });
    throw failed(
      `${url}: the download is not a sound OSV export (${errorMessage(e)}); the previous copy of ${ecosystem} is kept`,
      e,
    );
  }

  // Written beside the target, then swapped in by renaming.
  const fresh = join(work, `${ecosystem}.new`);
  const old = join(work, `${ecosystem}.old`);
  const target = join(dir, ecosystem);
  await rm(fresh, { recursive: true, force: true });
  await rm(old, { recursive: true, force: true });
  await mkdir(fresh, { recursive: true });
  for (const r of records) await writeFile(join(fresh, r.name), r.text);
  const hadTarget = await stat(target).then(
    () => true,
    () => false,
  );
  if (hadTarget) await rename(target, old);
  await rename(fresh, target);
  await rm(old, { recursive: true, force: true });
  await rm(part, { force: true });
  progress(`${ecosystem}: ${records.length} records (${bytes.length} bytes) in ${target}`);
  return {
    ecosystem,
    path: target,
    records: records.length,
    bytes: bytes.length,
    resumedFrom,
    ...(newest === undefined ? {} : { newest }),
  };
}

/**
 * Fetches `url` into `part`, from byte `have` on when there is a partial file and the server
 * honours the Range. Returns how many bytes were kept from before.
 */
async function transfer(
  url: string,
  ecosystem: string,
  part: string,
  have: number,
  opts: DownloadOptions,
  progress: (line: string) => void,
): Promise<number> {
  const doFetch = opts.fetch ?? fetch;
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  const stall = new AbortController();
  let timer = setTimeout(() => stall.abort(), stallMs);
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  const why = (e: unknown): string =>
    stall.signal.aborted
      ? `nothing received for ${stallMs} ms`
      : e instanceof Error && e.cause instanceof Error
        ? e.cause.message
        : errorMessage(e);
  try {
    let response: Response;
    try {
      response = await doFetch(url, {
        signal: stall.signal,
        headers: have > 0 ? { range: `bytes=${have}-` } : {},
      });
    } catch (e) {
      throw failed(`GET ${url}: ${why(e)}`, e);
    }
    if (response.status === 404)
      throw failed(`GET ${url}: HTTP 404: OSV has no export for the ecosystem ${ecosystem}`);
    // The partial file is already whole (the server has nothing past it): verify it as it is.
    if (response.status === 416 && have > 0) {
      await response.body?.cancel();
      return have;
    }
    if (response.status !== 200 && response.status !== 206)
      throw failed(
        `GET ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
      );
    const resumed = response.status === 206 && have > 0;
    if (response.status === 206 && !resumed)
      throw failed(`GET ${url}: HTTP 206 to a request without a Range`);
    if (resumed) {
      const range = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "");
      if (range === null || Number(range[1]) !== have)
        throw failed(`GET ${url}: a partial answer that does not start at byte ${have}`);
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    const total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
    const start = resumed ? have : 0;
    if (resumed) progress(`${ecosystem}: resuming ${url} at byte ${have}`);
    else progress(`${ecosystem}: downloading ${url}`);

    const out = createWriteStream(part, { flags: resumed ? "a" : "w" });
    const closed = new Promise<void>((resolve, reject) => {
      out.once("close", resolve);
      out.once("error", reject);
    });
    let received = start;
    let shown = 0;
    try {
      if (response.body !== null)
        for await (const data of response.body) {
          const chunk = data as Uint8Array;
          alive();
          if (!out.write(chunk))
            await new Promise<void>((resolve) => out.once("drain", () => resolve()));
          received += chunk.length;
          // A line per tenth of the file (or per 8 MiB when the size is not known).
          const step = total === undefined ? 8 * 1024 * 1024 : Math.max(1, total / 10);
          if (received - shown >= step) {
            shown = received;
            progress(
              `${ecosystem}: ${received} bytes${total === undefined ? "" : ` of ${total} (${Math.floor((received / total) * 100)}%)`}`,
            );
          }
        }
    } catch (e) {
      throw failed(
        `GET ${url}: interrupted after ${received} bytes (${why(e)}); run again to resume`,
        e,
      );
    } finally {
      out.end();
      await closed;
    }
    if (total !== undefined && received !== total)
      throw failed(`GET ${url}: ended after ${received} of ${total} bytes; run again to resume`);
    return resumed ? have : 0;
  } finally {
    clearTimeout(timer);
  }
}

/** Every `*.json` entry of the zip, inflated and checked (size, CRC-32, JSON with an id). */
function verify(bytes: Buffer): { records: { name: string; text: string }[]; newest?: string } {
  const entries: ZipEntry[] = zipEntries(bytes, (name) => name.endsWith(".json"));
  const out = new Uint8Array(MAX_RECORD_BYTES);
  // Of two entries with one name, the later (as the offline database reads a zip).
  const records = new Map<string, string>();
  let newest: string | undefined;
  for (const entry of entries) {
    const name = entry.name.slice(entry.name.lastIndexOf("/") + 1);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(name))
      throw new Error(`entry ${JSON.stringify(entry.name)} is not named <ID>.json`);
    let text: string;
    try {
      text = Buffer.from(inflateZipEntry(bytes, entry, out)).toString("utf8");
    } catch (e) {
      throw new Error(`entry ${entry.name}: ${errorMessage(e)}`, { cause: e });
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      throw new Error(`entry ${entry.name} is not JSON`);
    }
    if (typeof record !== "object" || record === null || !("id" in record))
      throw new Error(`entry ${entry.name} is not an OSV record`);
    const modified = (record as { modified?: unknown }).modified;
    if (
      typeof modified === "string" &&
      (newest === undefined || Date.parse(modified) > Date.parse(newest))
    )
      newest = modified;
    records.set(name, text);
  }
  if (records.size === 0) throw new Error("it holds no records");
  const list = [...records].map(([name, text]) => ({ name, text }));
  return newest === undefined ? { records: list } : { records: list, newest };
}
