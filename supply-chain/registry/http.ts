/**
 * The HTTP layer under the registry client: which scheme a registry gets, the plain-HTTP guard
 * (checked before any byte is sent), manual redirects that never carry credentials to another
 * origin, bounded retries, the call deadline, and size-bounded body reads.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { RegistryError } from "./errors.ts";
import type { RegistryErrorCode } from "./errors.ts";
import { LIMITS, quotable } from "./limits.ts";

/** What an error names: the registry, repository and client operation a request belongs to. */
export interface CallContext {
  registry: string;
  repository?: string;
  operation: string;
  /** Aborts when the call's deadline passes or the caller gives up. */
  signal: AbortSignal;
  timeoutMs: number;
}

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: URL;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_API = "registry-1.docker.io";
const MAX_REDIRECTS = LIMITS.maxRedirects;
/** Longest registry-influenced message part kept in an error (and so in a denial). */
const MAX_MESSAGE_CHARS = 600;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2000;
const USER_AGENT = "mcp-warden";

/** True for `localhost`, 127.0.0.0/8 and `[::1]` (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const name = stripPort(host.toLowerCase());
  if (name === "localhost" || name === "[::1]" || name === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

function stripPort(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 || host.indexOf(":") !== colon ? host : host.slice(0, colon);
}

/** True when `host` (host[:port]) may be spoken to over plain HTTP. */
export function plainHttpAllowed(host: string, insecure: readonly string[]): boolean {
  if (isLoopbackHost(host)) return true;
  const h = host.toLowerCase();
  return insecure.some((entry) => {
    // Accept `http://host:port/` spellings too.
    const e = entry
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, "")
      .replace(/\/.*$/, "");
    // An entry without a port allows every port of that host.
    return e === h || (stripPort(e) === e && stripPort(h) === e);
  });
}

/**
 * The base URL of a registry's API: HTTPS, except plain HTTP for loopback hosts and the insecure
 * list; Docker Hub's API lives at registry-1.docker.io.
 */
export function registryBaseUrl(registry: string, insecure: readonly string[]): URL {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  const scheme = plainHttpAllowed(host, insecure) ? "http" : "https";
  return new URL(`${scheme}://${host}/`);
}

/**
 * Refuses a URL before anything is sent to it: only HTTPS, or HTTP to a loopback host or one in
 * the insecure list.
 */
export function assertUrlAllowed(
  url: URL,
  insecure: readonly string[],
  ctx: Pick<CallContext, "registry" | "repository" | "operation">,
): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:") {
    if (plainHttpAllowed(url.host, insecure)) return;
    throw new RegistryError(
      "INSECURE_REFUSED",
      `refusing plain HTTP to ${url.host} (${ctx.operation} for ${ctx.registry}): only loopback hosts and hosts in the insecure list may be used without TLS`,
      details(ctx),
    );
  }
  throw new RegistryError(
    "PROTOCOL",
    `refusing ${url.protocol} URL ${url.origin} (${ctx.operation} for ${ctx.registry}): only https and http are supported`,
    details(ctx),
  );
}

/**
 * Where an address is, as far as a server-side request forgery cares: loopback, link-local
 * (cloud metadata), private or cluster-internal, or public.
 */
export type AddressClass = "loopback" | "link-local" | "private" | "public";

/** The class of a host (name or literal address, with or without port or brackets). */
export function addressClass(host: string): AddressClass {
  const name = bare(host);
  const kind = isIP(name);
  if (kind === 4) return ipv4Class(name);
  if (kind === 6) return ipv6Class(name);
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  // Names only a cluster or a private network resolves: Kubernetes services, mDNS, metadata.
  if (
    !name.includes(".") ||
    /\.(?:local|internal|localdomain|home\.arpa|svc|cluster\.local)$/.test(name)
  )
    return "private";
  return "public";
}

/** A host without port or brackets, lowercase. */
function bare(host: string): string {
  return stripPort(host.toLowerCase())
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
}

function ipv4Class(ip: string): AddressClass {
  const [a = 0, b = 0] = ip.split(".").map(Number);
  // 0.0.0.0/8 reaches this host on Linux.
  if (a === 127 || a === 0) return "loopback";
  if (a === 169 && b === 254) return "link-local";
  if (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    a >= 224
  )
    return "private";
  return "public";
}

function ipv6Class(ip: string): AddressClass {
  if (ip === "::1" || ip === "::") return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d, which URL parsing writes as ::ffff:xxxx:xxxx).
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(ip);
  if (mapped) {
    if (mapped[1] !== undefined) return ipv4Class(mapped[1]);
    const hi = parseInt(mapped[2] ?? "0", 16);
    const lo = parseInt(mapped[3] ?? "0", 16);
    return ipv4Class(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const first = parseInt(ip.split(":")[0] || "0", 16);
  if ((first & 0xffc0) === 0xfe80) return "link-local";
  if ((first & 0xfe00) === 0xfc00 || (first & 0xff00) === 0xff00) return "private";
  return "public";
}

/**
 * Redirects, token realms, upload locations and page links may lead to public hosts, or to
 * hosts of the same class as the registry itself (a registry on loopback may send us to
 * loopback; one on a public host may not send us to 127.0.0.1, 169.254.169.254 or 10.x).
 */
export function assertDestination(
  url: URL,
  ctx: Pick<CallContext, "registry" | "repository" | "operation">,
): void {
  const target = addressClass(url.host);
  if (target === "public") return;
  const registryHost = ctx.registry === DOCKER_HUB ? DOCKER_HUB_API : ctx.registry;
  if (target === addressClass(registryHost)) return;
  throw registryError(
    "DESTINATION_REFUSED",
    `refusing to follow the registry to ${url.host} (${target}): the registry itself is not on a ${target} address`,
    ctx,
  );
}

function details(
  ctx: Pick<CallContext, "registry" | "repository" | "operation">,
  extra: { status?: number; cause?: unknown } = {},
): {
  registry: string;
  repository?: string;
  operation: string;
  status?: number;
  cause?: unknown;
} {
  const d: ReturnType<typeof details> = { registry: ctx.registry, operation: ctx.operation };
  if (ctx.repository !== undefined) d.repository = ctx.repository;
  if (extra.status !== undefined) d.status = extra.status;
  if (extra.cause !== undefined) d.cause = extra.cause;
  return d;
}

export function registryError(
  code: RegistryErrorCode,
  message: string,
  ctx: Pick<CallContext, "registry" | "repository" | "operation">,
  extra: { status?: number; cause?: unknown } = {},
): RegistryError {
  const where = ctx.repository === undefined ? ctx.registry : `${ctx.registry}/${ctx.repository}`;
  // Messages quote what the registry said; they end up in denials, so they are kept short and
  // free of control characters.
  return new RegistryError(
    code,
    `${where}: ${ctx.operation}: ${quotable(message, MAX_MESSAGE_CHARS)}`,
    details(ctx, extra),
  );
}

/** A deadline signal for one call, joined with the caller's own signal when there is one. */
export function deadlineSignal(timeoutMs: number, callerSignal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return callerSignal === undefined ? timeout : AbortSignal.any([timeout, callerSignal]);
}

/** Maps a failure of fetch or of reading a body to a RegistryError. */
export function networkError(err: unknown, ctx: CallContext, url: URL): RegistryError {
  if (err instanceof RegistryError) return err;
  if (ctx.signal.aborted || isAbort(err)) {
    const reason: unknown = ctx.signal.reason;
    const byCaller = ctx.signal.aborted && !isAbortNamed(reason, "TimeoutError");
    return registryError(
      "TIMEOUT",
      byCaller
        ? `cancelled by the caller while talking to ${url.origin}`
        : `no answer from ${url.origin} within the ${ctx.timeoutMs} ms deadline`,
      ctx,
      { cause: err },
    );
  }
  const code = causeCode(err);
  return registryError(
    "UNREACHABLE",
    `cannot reach ${url.origin}${code === undefined ? "" : ` (${code})`}: ${describeError(err)}`,
    ctx,
    { cause: err },
  );
}

function isAbort(err: unknown): boolean {
  return isAbortNamed(err, "AbortError") || isAbortNamed(err, "TimeoutError");
}

function isAbortNamed(err: unknown, name: string): boolean {
  return typeof err === "object" && err !== null && "name" in err && err.name === name;
}

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && typeof e === "object" && e !== null; i++) {
    if ("code" in e && typeof e.code === "string") return e.code;
    e = "cause" in e ? e.cause : undefined;
  }
  return undefined;
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}

function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

function retryAfterMs(res: Response): number | undefined {
  const v = res.headers.get("retry-after");
  if (v === null) return undefined;
  const seconds = Number(v);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** The addresses a host name resolves to. */
export type Resolve = (hostname: string) => Promise<string[]>;

const systemResolve: Resolve = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface TransportOptions {
  insecure: readonly string[];
  /** Further attempts after a network error, 5xx or 429. */
  retries: number;
  /** How names other than the registry's own are resolved before they are used (default DNS). */
  resolve?: Resolve;
}

export class Transport {
  readonly insecure: readonly string[];
  private readonly retries: number;
  private readonly resolve: Resolve;

  constructor(opts: TransportOptions) {
    this.insecure = opts.insecure;
    this.retries = opts.retries;
    this.resolve = opts.resolve ?? systemResolve;
  }

  /**
   * Where the registry sends us (a redirect, a token realm, an upload location) must be public
   * or where the registry itself is (assertDestination), judged on addresses: a public-looking
   * name that resolves to 169.254.169.254 is refused, and a registry whose name resolves to a
   * private address may send us to that private network. Names are resolved only when that
   * decides something; the connection then made resolves them again (not re-checked).
   */
  private async assertDestinationResolved(url: URL, ctx: CallContext): Promise<void> {
    const registryHost = ctx.registry === DOCKER_HUB ? DOCKER_HUB_API : ctx.registry;
    const target = bare(url.host);
    const registry = bare(registryHost);
    if (target === registry) return;
    const byName = addressClass(url.host);
    const targetClasses =
      isIP(target) !== 0 || byName !== "public"
        ? [byName]
        : (await this.addressesOf(target, ctx, url)).map(addressClass);
    const inner = targetClasses.filter((c) => c !== "public");
    if (inner.length === 0) return;
    const own = new Set<AddressClass>([addressClass(registryHost)]);
    if (isIP(registry) === 0 && addressClass(registryHost) === "public")
      for (const a of await this.addressesOf(registry, ctx, url)) own.add(addressClass(a));
    const refused = inner.find((c) => !own.has(c));
    if (refused !== undefined)
      throw registryError(
        "DESTINATION_REFUSED",
        `refusing to follow the registry to ${url.host} (${refused}): the registry itself is not on a ${refused} address`,
        ctx,
      );
  }

  /** The addresses of a name, within the call's deadline; none when it does not resolve. */
  private async addressesOf(hostname: string, ctx: CallContext, url: URL): Promise<string[]> {
    let onAbort = (): void => undefined;
    try {
      return await Promise.race([
        this.resolve(hostname),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(ctx.signal.reason as Error);
          if (ctx.signal.aborted) onAbort();
          ctx.signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } catch (err) {
      if (ctx.signal.aborted) throw networkError(err, ctx, url);
      return []; // Unresolvable: the request itself fails with the resolver's error.
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sends a request, following redirects by hand (credentials never follow to another origin)
   * and retrying network errors, 5xx and 429 a bounded number of times with a short backoff,
   * all inside the call's deadline. The caller owns the returned response's body.
   */
  async send(req: HttpRequest, ctx: CallContext): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.sendFollowingRedirects(req, ctx);
      } catch (err) {
        const mapped = networkError(err, ctx, req.url);
        if (mapped.code !== "UNREACHABLE" || attempt >= this.retries) throw mapped;
        await this.backoff(attempt, undefined, ctx, mapped, req.url);
        continue;
      }
      if (!retryable(res.status) || attempt >= this.retries) return res;
      await discard(res);
      await this.backoff(attempt, retryAfterMs(res), ctx, undefined, req.url);
    }
  }

  private async backoff(
    attempt: number,
    hintMs: number | undefined,
    ctx: CallContext,
    lastError: RegistryError | undefined,
    url: URL,
  ): Promise<void> {
    const ms = Math.min(BACKOFF_CAP_MS, Math.max(BACKOFF_BASE_MS * 2 ** attempt, hintMs ?? 0));
    try {
      await sleep(ms, undefined, { signal: ctx.signal });
    } catch (err) {
      throw lastError ?? networkError(err, ctx, url);
    }
  }

  private async sendFollowingRedirects(req: HttpRequest, ctx: CallContext): Promise<Response> {
    let url = req.url;
    let method = req.method;
    let body = req.body;
    // Identity encoding: the bytes counted and hashed are the bytes the registry stores.
    const headers: Record<string, string> = {
      "user-agent": USER_AGENT,
      "accept-encoding": "identity",
      ...req.headers,
    };
    for (let hop = 0; ; hop++) {
      assertUrlAllowed(url, this.insecure, ctx);
      await this.assertDestinationResolved(url, ctx);
      const init: RequestInit = { method, headers, redirect: "manual", signal: ctx.signal };
      if (body !== undefined) init.body = body;
      const res = await fetch(url, init);
      const location = res.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(res.status) || location === null) return res;
      await discard(res);
      if (hop >= MAX_REDIRECTS)
        throw registryError(
          "PROTOCOL",
          `more than ${MAX_REDIRECTS} redirects from ${req.url.origin}`,
          ctx,
        );
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (err) {
        throw registryError(
          "PROTOCOL",
          `redirect to an invalid Location ${JSON.stringify(location)}`,
          ctx,
          {
            status: res.status,
            cause: err,
          },
        );
      }
      if (next.origin !== url.origin) {
        delete headers.authorization;
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = method === "HEAD" ? "HEAD" : "GET";
        body = undefined;
        delete headers["content-type"];
        delete headers["content-length"];
      }
      url = next;
    }
  }
}

/** Drops a response body we do not need, so the connection can be reused. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // Nothing to free.
  }
}

/**
 * Reads a body, refusing it with TOO_LARGE as soon as Content-Length or the bytes counted so far
 * exceed `limit`; the rest is never read.
 */
export async function readBounded(
  res: Response,
  limit: number,
  ctx: CallContext,
  what: string,
): Promise<Uint8Array> {
  const tooLarge = (size: string): RegistryError =>
    registryError("TOO_LARGE", `${what} is ${size}, over the ${limit}-byte limit`, ctx, {
      status: res.status,
    });
  const declared = res.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await discard(res);
    throw tooLarge(`${declared} bytes`);
  }
  if (res.body === null) return new Uint8Array(0);
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`more than ${limit} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw networkError(err, ctx, new URL(res.url || "about:blank"));
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
