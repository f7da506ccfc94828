import { compileSchema } from "../../../policies/schema-validator.ts";
import { ScanError } from "../errors.ts";
import type { LockedPackage, VulnerabilityMatch, VulnerabilitySource } from "../types.ts";
import { buildIndex, matchPackages } from "./index.ts";
import { parseOsvRecord } from "./record.ts";
import type { OsvRecord } from "./record-types.ts";
import { packageKeyName } from "./versions.ts";

export interface OsvApiOptions {
  /** Default `https://api.osv.dev`. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** One deadline for the whole `matches` call (every request in it). Default 60 s. */
  timeoutMs?: number;
  /** Queries per `/v1/querybatch` request; the API takes at most 1,000. */
  batchSize?: number;
  /** `/v1/vulns/{id}` requests in flight at once. Default 8. */
  concurrency?: number;
}

const MAX_BATCH = 1000;
// Each round follows every query's next_page_token once; the API pages after 1,000 vulns per
// query, so more rounds than this means a server that never stops paging.
const MAX_PAGE_ROUNDS = 100;

interface Query {
  package: { ecosystem: string; name: string };
  version: string;
  page_token?: string;
}

interface BatchResponse {
  results: { vulns?: { id: string }[]; next_page_token?: string }[];
}

const batchResponse = compileSchema<BatchResponse>({
  type: "object",
  required: ["results"],
  properties: {
    results: {
      type: "array",
      items: {
        type: "object",
        properties: {
          vulns: {
            type: "array",
            items: {
              type: "object",
              required: ["id"],
              properties: { id: { type: "string", minLength: 1 } },
            },
          },
          next_page_token: { type: "string" },
        },
      },
    },
  },
});

function failed(message: string, cause?: unknown): ScanError {
  return new ScanError("VULNERABILITY_SOURCE_FAILED", message, { cause });
}

// osv.dev takes Go versions without their `v` (as osv-scanner sends them).
function queryOf(pkg: LockedPackage): Query {
  const version =
    pkg.ecosystem === "Go" && pkg.version.startsWith("v") ? pkg.version.slice(1) : pkg.version;
  return { package: { ecosystem: pkg.ecosystem, name: pkg.name }, version };
}

// Errors of a connection that never carried an answer: no name, no route, refused, reset.
const UNREACHABLE = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/** Whether a failed fetch failed to reach the server at all (not an abort by the caller). */
function unreachable(e: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof DOMException && reason.name === "TimeoutError";
  }
  for (let at: unknown = e, depth = 0; at instanceof Error && depth < 5; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && UNREACHABLE.has(code)) return true;
    // An AggregateError (every address of a name refused) carries its errors.
    if (at instanceof AggregateError && at.errors.some((x) => unreachable(x, signal))) return true;
    at = at.cause;
  }
  return false;
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure rejects. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

class OsvApi implements VulnerabilitySource {
  readonly description: string;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #batchSize: number;
  readonly #concurrency: number;

  constructor(opts: OsvApiOptions) {
    this.#base = (opts.baseUrl ?? "https://api.osv.dev").replace(/\/+$/, "");
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#batchSize = Math.max(1, Math.min(MAX_BATCH, opts.batchSize ?? MAX_BATCH));
    this.#concurrency = Math.max(1, opts.concurrency ?? 8);
    this.description = `osv API (${this.#base})`;
  }

  async matches(
    packages: readonly LockedPackage[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<VulnerabilityMatch[]> {
    // One deadline for everything; a failing request cancels the others.
    const stop = new AbortController();
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.#timeoutMs),
      stop.signal,
      ...(opts.signal ? [opts.signal] : []),
    ]);
    try {
      const ids = await this.#vulnerabilityIds(packages, signal);
      const records: OsvRecord[] = [];
      await eachLimited([...ids].sort(), this.#concurrency, async (id) => {
        const url = `${this.#base}/v1/vulns/${encodeURIComponent(id)}`;
        records.push(parseOsvRecord(await this.#json("GET", url, undefined, signal), url));
      });
      // The API's answer is a candidate list; OSV's range semantics decide, as offline.
      return matchPackages(buildIndex(records), packages);
    } finally {
      stop.abort();
    }
  }

  /** Every advisory id the API lists for the packages, following page tokens. */
  async #vulnerabilityIds(
    packages: readonly LockedPackage[],
    signal: AbortSignal,
  ): Promise<Set<string>> {
    const distinct = new Map<string, Query>();
    for (const pkg of packages) {
      const query = queryOf(pkg);
      const key = `${pkg.ecosystem}\u0000${packageKeyName(pkg.ecosystem, pkg.name)}\u0000${query.version}`;
      if (!distinct.has(key)) distinct.set(key, query);
    }
    const ids = new Set<string>();
    const url = `${this.#base}/v1/querybatch`;
    let pending = [...distinct.values()];
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_PAGE_ROUNDS)
        throw failed(`POST ${url}: still paging after ${MAX_PAGE_ROUNDS} rounds`);
      const next: Query[] = [];
      for (let i = 0; i < pending.length; i += this.#batchSize) {
        const queries = pending.slice(i, i + this.#batchSize);
        const body = await this.#json("POST", url, { queries }, signal);
        if (!batchResponse.is(body) || body.results.length !== queries.length)
          throw failed(`POST ${url}: not a querybatch answer for ${queries.length} queries`);
        for (const [j, result] of body.results.entries()) {
          for (const v of result.vulns ?? []) ids.add(v.id);
          const query = queries[j];
          if (result.next_page_token !== undefined && query !== undefined)
            next.push({ ...query, page_token: result.next_page_token });
        }
      }
      pending = next;
    }
    return ids;
  }

  async #json(
    method: "GET" | "POST",
    url: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method,
        signal,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      text = await response.text();
    } catch (e) {
      const why = this.#why(e, signal);
      if (unreachable(e, signal))
        throw failed(
          `the OSV API ${this.#base} cannot be reached (${method} ${url}: ${why}); without network access, scan against an offline OSV database: --vulnerability-db PATH (the Action's vulnerability-db input), which \`mcp-warden db download DIR\` fetches`,
          e,
        );
      throw failed(`${method} ${url}: ${why}`, e);
    }
    if (!response.ok)
      throw failed(
        `${method} ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${text ? `: ${text.slice(0, 200)}` : ""}`,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw failed(`${method} ${url}: HTTP ${response.status} with a body that is not JSON`, e);
    }
  }

  #why(e: unknown, signal: AbortSignal): string {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      if (reason instanceof DOMException && reason.name === "TimeoutError")
        return `no answer within ${this.#timeoutMs} ms`;
      return "aborted";
    }
    return e instanceof Error
      ? e.cause instanceof Error
        ? e.cause.message
        : e.message
      : String(e);
  }
}

/**
 * The OSV API (https://google.github.io/osv.dev/api/) as a vulnerability source: asks
 * `/v1/querybatch` which advisories concern the packages (in batches, following page tokens),
 * fetches each advisory from `/v1/vulns/{id}`, validates it, and matches locally with the same
 * range semantics as the offline database.
 * @throws (from `matches`) ScanError VULNERABILITY_SOURCE_FAILED naming the URL and the status,
 *   the deadline, or the abort; OSV_RECORD_INVALID for an advisory that is not a valid record
 */
export function osvApi(opts: OsvApiOptions = {}): VulnerabilitySource {
  return new OsvApi(opts);
}
