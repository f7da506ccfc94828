/**
 * Fetching the sigstore trusted root (`trusted_root.json`) as a TUF target, with the sigstore
 * TUF client (`@sigstore/tuf`, on `tuf-js`): starting from a TUF root the operator trusts, every
 * newer root, the timestamp, snapshot and targets metadata are fetched and checked (signature
 * thresholds, versions, expiry, hashes and lengths), then the target is downloaded and checked
 * against the signed targets metadata. The parsed JSON is returned as is; `loadTrustedRoot` /
 * `keylessTrust` (keyless.ts) validate it as a sigstore TrustedRoot.
 *
 * Metadata and targets are cached under `cachePath` (one directory per mirror): the cached root
 * stays trusted across calls, so a rotated root is not rolled back, and a cached target whose
 * hash still matches the signed targets metadata is not downloaded again.
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { initTUF, TUFError } from "@sigstore/tuf";
import { errorClass, errorMessage } from "../../policies/errors.ts";

export const TRUSTED_ROOT_TARGET = "trusted_root.json";
export const DEFAULT_TUF_TIMEOUT_MS = 5000;
export const DEFAULT_TUF_RETRIES = 2;

export type TufRootErrorCode =
  /** `mirrorURL` is not a URL, not http(s), carries credentials, or is plain http off loopback. */
  | "TUF_MIRROR_URL_INVALID"
  /** `initialRoot` cannot be read, or is not a TUF root metadata file. */
  | "TUF_INITIAL_ROOT_INVALID"
  /** The cache directory could not be created or written. */
  | "TUF_CACHE_ERROR"
  /** No answer from the mirror: connection refused, DNS failure, reset, or timeout. */
  | "TUF_MIRROR_UNREACHABLE"
  /** The mirror answered with an HTTP error status for required metadata or the target. */
  | "TUF_DOWNLOAD_FAILED"
  /** Metadata (root, timestamp, snapshot or targets) is past its expiry date. */
  | "TUF_METADATA_EXPIRED"
  /** Metadata is not signed by a threshold of the keys the trusted root delegates to. */
  | "TUF_SIGNATURE_INVALID"
  /** Metadata is malformed, of the wrong type or version (rollback), or fails its hash/length. */
  | "TUF_METADATA_INVALID"
  /** The signed targets metadata does not list `trusted_root.json`. */
  | "TUF_TARGET_NOT_FOUND"
  /** The downloaded target does not match the hash or length in the signed targets metadata. */
  | "TUF_TARGET_MISMATCH"
  /** The target verified but is not JSON. */
  | "TUF_TARGET_INVALID";

export class TufRootError extends errorClass<TufRootErrorCode>("TufRootError") {}

export interface FetchTrustedRootOptions {
  /** The TUF repository's base URL: https, or plain http to a loopback address only. */
  mirrorURL: string;
  /** Path to a TUF `root.json` trusted out of band; used when the cache has no root yet. */
  initialRoot: string;
  /** Directory for cached metadata and targets; created if missing. */
  cachePath: string;
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Retries of a failed connection or 5xx answer, 250 ms then doubling (default 2). */
  retries?: number;
  /**
   * Replace the cached root with `initialRoot` (default false: a cached, possibly rotated,
   * root is kept, as TUF intends).
   */
  forceInit?: boolean;
}

/** Whether a URL's host is a loopback address (127.0.0.0/8, ::1 or `localhost`). */
export function isLoopbackHost(hostname: string): boolean {
  const host =
    hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  if (host.toLowerCase() === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/** The mirror URL without a trailing slash; throws `TUF_MIRROR_URL_INVALID`. */
export function checkMirrorURL(mirrorURL: string): string {
  let url: URL;
  try {
    url = new URL(mirrorURL);
  } catch (err) {
    throw new TufRootError("TUF_MIRROR_URL_INVALID", `TUF mirror ${mirrorURL} is not a URL`, {
      cause: err,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TufRootError(
      "TUF_MIRROR_URL_INVALID",
      `TUF mirror ${mirrorURL} must be https (or http to a loopback address)`,
    );
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new TufRootError(
      "TUF_MIRROR_URL_INVALID",
      `TUF mirror ${mirrorURL} uses plain http off loopback; use https`,
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new TufRootError(
      "TUF_MIRROR_URL_INVALID",
      `TUF mirror ${url.origin}${url.pathname} must not carry credentials, a query or a fragment`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

async function checkInitialRoot(path: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new TufRootError(
      "TUF_INITIAL_ROOT_INVALID",
      `cannot read the initial TUF root ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TufRootError("TUF_INITIAL_ROOT_INVALID", `initial TUF root ${path} is not JSON`, {
      cause: err,
    });
  }
  const signed =
    typeof json === "object" && json !== null ? (json as { signed?: unknown }).signed : undefined;
  const type =
    typeof signed === "object" && signed !== null
      ? (signed as { _type?: unknown })._type
      : undefined;
  if (type !== "root") {
    throw new TufRootError(
      "TUF_INITIAL_ROOT_INVALID",
      `initial TUF root ${path} is not TUF root metadata (signed._type is not "root")`,
    );
  }
}

/** The chain of an error and its causes, outermost first. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && chain.length < 10) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function nameOf(err: unknown): string {
  return err instanceof Error ? err.constructor.name : "";
}

function describe(err: unknown): string {
  return causes(err)
    .map((e) => errorMessage(e))
    .filter((m, i, all) => m !== "" && all.indexOf(m) === i)
    .join(": ");
}

/**
 * Maps an error from `@sigstore/tuf` / `tuf-js` to a code. tuf-js's error classes are not
 * exported through `@sigstore/tuf`, so they are recognised by constructor name.
 */
function classify(err: unknown): TufRootErrorCode {
  const chain = causes(err);
  const names = chain.map(nameOf);
  const sigstoreCode = err instanceof TUFError ? err.code : undefined;
  const inTarget = sigstoreCode === "TUF_DOWNLOAD_TARGET_ERROR";
  if (sigstoreCode === "TUF_FIND_TARGET_ERROR") return "TUF_TARGET_NOT_FOUND";
  if (sigstoreCode === "TUF_INIT_CACHE_ERROR") return "TUF_CACHE_ERROR";
  if (names.includes("ExpiredMetadataError")) return "TUF_METADATA_EXPIRED";
  if (names.includes("UnsignedMetadataError")) return "TUF_SIGNATURE_INVALID";
  if (
    names.includes("LengthOrHashMismatchError") ||
    names.includes("DownloadLengthMismatchError")
  ) {
    return inTarget ? "TUF_TARGET_MISMATCH" : "TUF_METADATA_INVALID";
  }
  if (names.includes("DownloadHTTPError")) return "TUF_DOWNLOAD_FAILED";
  // tuf-js rethrows snapshot and targets failures as a RuntimeError carrying only the message.
  const messages = chain.map((e) => (e instanceof Error ? e.message : "")).join("\n");
  if (/ was signed by \d+\/\d+ keys|no signature for key found/.test(messages)) {
    return "TUF_SIGNATURE_INVALID";
  }
  if (/\.json is expired/.test(messages)) return "TUF_METADATA_EXPIRED";
  if (/Failed to download/.test(messages)) return "TUF_DOWNLOAD_FAILED";
  if (/fetch failed|ECONNREFUSED|TimeoutError|aborted due to timeout/.test(messages)) {
    return "TUF_MIRROR_UNREACHABLE";
  }
  if (names.includes("PersistError")) return "TUF_CACHE_ERROR";
  const network = chain.some((e) => {
    if (!(e instanceof Error)) return false;
    const code = (e as { code?: unknown }).code;
    return (
      e.name === "TimeoutError" ||
      e.name === "AbortError" ||
      (e instanceof TypeError && e.message === "fetch failed") ||
      (typeof code === "string" &&
        /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(code))
    );
  });
  if (network) return "TUF_MIRROR_UNREACHABLE";
  const fsError = chain.some((e) => {
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    return (
      typeof code === "string" && /^(EACCES|EPERM|EROFS|ENOSPC|EEXIST|ENOTDIR|EISDIR)$/.test(code)
    );
  });
  if (fsError) return "TUF_CACHE_ERROR";
  return "TUF_METADATA_INVALID";
}

const MESSAGES: Record<TufRootErrorCode, string> = {
  TUF_MIRROR_URL_INVALID: "TUF mirror URL is invalid",
  TUF_INITIAL_ROOT_INVALID: "initial TUF root is invalid",
  TUF_CACHE_ERROR: "TUF cache error",
  TUF_MIRROR_UNREACHABLE: "TUF mirror is unreachable",
  TUF_DOWNLOAD_FAILED: "TUF mirror refused a download",
  TUF_METADATA_EXPIRED: "TUF metadata has expired",
  TUF_SIGNATURE_INVALID: "TUF metadata is not signed by the trusted keys",
  TUF_METADATA_INVALID: "TUF metadata is invalid",
  TUF_TARGET_NOT_FOUND: `TUF targets metadata does not list ${TRUSTED_ROOT_TARGET}`,
  TUF_TARGET_MISMATCH: `${TRUSTED_ROOT_TARGET} does not match its signed hash or length`,
  TUF_TARGET_INVALID: `${TRUSTED_ROOT_TARGET} is not JSON`,
};

/**
 * Fetches `trusted_root.json` through TUF from `mirrorURL`, trusting `initialRoot` (or the root
 * already cached under `cachePath`), and returns it parsed. Throws `TufRootError`.
 */
export async function fetchTrustedRoot(opts: FetchTrustedRootOptions): Promise<unknown> {
  const mirrorURL = checkMirrorURL(opts.mirrorURL);
  await checkInitialRoot(opts.initialRoot);
  const timeout = opts.timeoutMs ?? DEFAULT_TUF_TIMEOUT_MS;
  const retries = opts.retries ?? DEFAULT_TUF_RETRIES;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${timeout}`);
  }
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`retries must be a non-negative integer, got ${retries}`);
  }
  let text: string;
  try {
    const tuf = await initTUF({
      mirrorURL,
      rootPath: opts.initialRoot,
      cachePath: opts.cachePath,
      timeout,
      retry: retries === 0 ? false : { retries, factor: 2, minTimeout: 250, maxTimeout: 2000 },
      forceCache: false,
      forceInit: opts.forceInit ?? false,
    });
    text = await tuf.getTarget(TRUSTED_ROOT_TARGET);
  } catch (err) {
    const code = classify(err);
    throw new TufRootError(code, `${MESSAGES[code]} (${mirrorURL}): ${describe(err)}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TufRootError(
      "TUF_TARGET_INVALID",
      `${MESSAGES.TUF_TARGET_INVALID} (${mirrorURL}): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
