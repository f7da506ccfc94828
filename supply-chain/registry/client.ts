/**
 * A small client for the OCI distribution API, enough to find, read and attach signatures and
 * attestations: resolve tags, read manifests and blobs (size-bounded, digest-verified), push
 * blobs and manifests, list referrers (the API, or the `sha256-<hex>` tag schema where the
 * registry lacks it) and read cosign's legacy `.sig` / `.att` tags.
 *
 * Every operation runs under one deadline (`timeoutMs`, joined with the caller's signal), retries
 * network errors, 5xx and 429 a bounded number of times, and never buffers more than its limit.
 * Plain HTTP is used only for loopback registries and the `insecure` list.
 */
import { createHash } from "node:crypto";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import type { ImageReference } from "../../policies/workload/image-reference.ts";
import { Authenticator, repositoryScope } from "./auth.ts";
import type { CredentialSource } from "./credentials.ts";
import { RegistryError } from "./errors.ts";
import { LIMITS } from "./limits.ts";
import {
  Transport,
  deadlineSignal,
  discard,
  networkError,
  readBounded,
  registryBaseUrl,
  registryError,
} from "./http.ts";
import type { CallContext, HttpRequest } from "./http.ts";
import {
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MEDIA_TYPES,
  artifactTypeOf,
  digestOf,
  isIndex,
  parseDigest,
  parseManifest,
} from "./types.ts";
import type { Descriptor, ImageIndex, Manifest, ParsedDigest } from "./types.ts";

export interface RegistryClientOptions {
  credentials?: CredentialSource;
  /** host[:port] that may be spoken to over plain HTTP; loopback hosts always are. */
  insecure?: readonly string[];
  /** Deadline of each operation, retries and redirects included. */
  timeoutMs?: number;
  /** Further attempts after a network error, 5xx or 429. */
  retries?: number;
  maxManifestBytes?: number;
  maxBlobBytes?: number;
}

export interface CallOptions {
  /** Aborts the operation early (e.g. the admission deadline); the operation's own deadline still applies. */
  signal?: AbortSignal;
}

/** Reading a manifest: at most `maxBytes` (default the client's `maxManifestBytes`). */
export type ManifestOptions = CallOptions & { maxBytes?: number };

/** A repository: `registry/path` (as in an image reference, without tag or digest), or its parts. */
export type RepositoryRef = string | { registry: string; repository: string };

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Uint8Array;
  /** The manifest, validated. */
  json: Manifest;
}

export interface PushedManifest {
  descriptor: Descriptor;
  /** True when the registry answered `OCI-Subject`: it indexed the manifest's subject itself. */
  subjectProcessed: boolean;
}

export interface AttachedReferrer extends PushedManifest {
  /** The fallback tag (`sha256-<hex>`) that lists the referrer, when the registry did not process the subject. */
  fallbackTag?: string;
}

/** The client's defaults; every other bound is in limits.ts too. */
export const DEFAULTS = {
  timeoutMs: LIMITS.callTimeoutMs,
  retries: LIMITS.retries,
  maxManifestBytes: LIMITS.maxManifestBytes,
  maxBlobBytes: LIMITS.maxBlobBytes,
} as const;

const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(", ");
const TAG_RE = /^\w[\w.-]{0,127}$/;
const MAX_REFERRER_PAGES = LIMITS.maxReferrersPages;
const MAX_ERROR_BODY_BYTES = LIMITS.maxErrorBodyBytes;
const FALLBACK_UPDATE_ATTEMPTS = 3;

/** The tag cosign v2 reads and writes signatures (`.sig`) and attestations (`.att`) at. */
export function legacyTag(subjectDigest: string, suffix: ".sig" | ".att" | ".sbom"): string {
  return `${referrersTag(subjectDigest)}${suffix}`;
}

/** The referrers tag schema: `<alg>-<hex>` names the index listing a subject's referrers. */
export function referrersTag(subjectDigest: string): string {
  const d = parseDigest(subjectDigest);
  if (d === undefined)
    throw new RegistryError("INVALID_REFERENCE", `not a digest: ${JSON.stringify(subjectDigest)}`);
  return `${d.algorithm}-${d.hex}`;
}

interface Repo {
  registry: string;
  repository: string;
}

function toRepo(ref: RepositoryRef): Repo {
  if (typeof ref !== "string") return { registry: ref.registry, repository: ref.repository };
  const parsed = parseImageReference(ref);
  if (!parsed.ok)
    throw new RegistryError("INVALID_REFERENCE", `${JSON.stringify(ref)}: ${parsed.error}`);
  if (parsed.value.tag !== undefined || parsed.value.digest !== undefined)
    throw new RegistryError(
      "INVALID_REFERENCE",
      `${JSON.stringify(ref)} names a tag or digest; give the repository only (registry/path)`,
    );
  return { registry: parsed.value.registry, repository: parsed.value.repository };
}

function mediaTypeOf(res: Response): string | undefined {
  const ct = res.headers.get("content-type");
  if (ct === null) return undefined;
  return ct.split(";", 1)[0]?.trim().toLowerCase() || undefined;
}

export class RegistryClient {
  private readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly insecure: readonly string[];
  readonly timeoutMs: number;
  readonly maxManifestBytes: number;
  readonly maxBlobBytes: number;

  constructor(opts: RegistryClientOptions = {}) {
    this.insecure = opts.insecure ?? [];
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.maxManifestBytes = opts.maxManifestBytes ?? DEFAULTS.maxManifestBytes;
    this.maxBlobBytes = opts.maxBlobBytes ?? DEFAULTS.maxBlobBytes;
    this.transport = new Transport({
      insecure: this.insecure,
      retries: Math.max(0, opts.retries ?? DEFAULTS.retries),
    });
    this.auth = new Authenticator({ credentials: opts.credentials, transport: this.transport });
  }

  /** Resolves a reference (tag or digest) to the descriptor of the manifest or index it names. */
  async resolve(ref: string | ImageReference, opts: CallOptions = {}): Promise<Descriptor> {
    const image = typeof ref === "string" ? parseRef(ref) : ref;
    const repo = { registry: image.registry, repository: image.repository };
    const reference = image.digest ?? image.tag ?? "latest";
    const ctx = this.context(repo, "resolve", opts);
    const res = await this.call(ctx, repo, false, {
      method: "HEAD",
      url: this.url(repo, `manifests/${reference}`),
      headers: { accept: MANIFEST_ACCEPT },
    });
    await discard(res);
    if (res.status !== 200) throw await this.statusError(res, ctx, `manifest ${reference}`);
    const digest = res.headers.get("docker-content-digest");
    const length = Number(res.headers.get("content-length") ?? NaN);
    const mediaType = mediaTypeOf(res);
    if (
      digest === null ||
      parseDigest(digest) === undefined ||
      !Number.isSafeInteger(length) ||
      mediaType === undefined ||
      !MANIFEST_MEDIA_TYPES.includes(mediaType)
    ) {
      // Not enough in the headers to trust: fetch the manifest and hash it ourselves.
      const m = await this.fetchManifest(repo, reference, ctx);
      return { mediaType: m.mediaType, digest: m.digest, size: m.size };
    }
    if (image.digest !== undefined && digest !== image.digest)
      throw registryError(
        "DIGEST_MISMATCH",
        `asked for ${image.digest}, the registry answered ${digest}`,
        ctx,
      );
    return { mediaType, digest, size: length };
  }

  /** Fetches a manifest or index by tag or digest; by digest, the bytes must hash to it. */
  async getManifest(
    repo: RepositoryRef,
    tagOrDigest: string,
    opts: ManifestOptions = {},
  ): Promise<FetchedManifest> {
    const r = toRepo(repo);
    return this.fetchManifest(
      r,
      checkReference(tagOrDigest),
      this.context(r, "getManifest", opts),
      opts.maxBytes,
    );
  }

  /** Like getManifest, but undefined when the tag or digest does not exist. */
  async findManifest(
    repo: RepositoryRef,
    tagOrDigest: string,
    opts: ManifestOptions = {},
  ): Promise<FetchedManifest | undefined> {
    try {
      return await this.getManifest(repo, tagOrDigest, opts);
    } catch (err) {
      if (err instanceof RegistryError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  }

  /** Fetches a blob, at most `maxBytes` (default `maxBlobBytes`), verified against its digest. */
  async getBlob(
    repo: RepositoryRef,
    digest: string,
    opts: CallOptions & { maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    const r = toRepo(repo);
    const ctx = this.context(r, "getBlob", opts);
    const { res, algorithm } = await this.requestBlob(r, digest, ctx);
    const bytes = await readBounded(res, opts.maxBytes ?? this.maxBlobBytes, ctx, `blob ${digest}`);
    const actual = digestOf(bytes, algorithm);
    if (actual !== digest)
      throw registryError(
        "DIGEST_MISMATCH",
        `blob ${digest} has content hashing to ${actual}`,
        ctx,
      );
    return bytes;
  }

  /** GETs a blob whose digest can be verified; any answer but 200 is an error. */
  private async requestBlob(
    r: Repo,
    digest: string,
    ctx: CallContext,
  ): Promise<{ res: Response; algorithm: ParsedDigest["algorithm"] }> {
    const parsed = parseDigest(digest);
    if (parsed === undefined)
      throw registryError(
        "INVALID_REFERENCE",
        `cannot verify digest ${JSON.stringify(digest)}`,
        ctx,
      );
    const res = await this.call(ctx, r, false, {
      method: "GET",
      url: this.url(r, `blobs/${digest}`),
    });
    if (res.status !== 200) throw await this.statusError(res, ctx, `blob ${digest}`);
    return { res, algorithm: parsed.algorithm };
  }

  /**
   * Opens a blob as a stream, for blobs too large to buffer (image layers). The bytes are counted
   * and hashed as they flow: the stream errors with TOO_LARGE past `maxBytes` and with
   * DIGEST_MISMATCH at its end, so a consumer must treat what it read as untrusted until the
   * stream has ended cleanly. `timeoutMs` replaces the client's deadline for this one transfer.
   */
  async openBlob(
    repo: RepositoryRef,
    digest: string,
    opts: CallOptions & { maxBytes: number; timeoutMs?: number },
  ): Promise<ReadableStream<Uint8Array>> {
    const r = toRepo(repo);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ctx: CallContext = {
      ...this.context(r, "openBlob", {}),
      signal: deadlineSignal(timeoutMs, opts.signal),
      timeoutMs,
    };
    const { res, algorithm } = await this.requestBlob(r, digest, ctx);
    const declared = Number(res.headers.get("content-length") ?? NaN);
    const body = res.body;
    if (body === null) throw registryError("PROTOCOL", `blob ${digest} has no body`, ctx);
    if (declared > opts.maxBytes) {
      await discard(res);
      throw registryError(
        "TOO_LARGE",
        `blob ${digest} is ${declared} bytes, over the ${opts.maxBytes}-byte limit`,
        ctx,
      );
    }
    return verifiedStream(
      body,
      new URL(res.url || "about:blank"),
      digest,
      algorithm,
      opts.maxBytes,
      ctx,
    );
  }

  /** Uploads a blob unless the repository already has it (monolithic POST + PUT). */
  async pushBlob(
    repo: RepositoryRef,
    bytes: Uint8Array,
    mediaType: string = MEDIA_TYPES.octetStream,
    opts: CallOptions = {},
  ): Promise<Descriptor> {
    const r = toRepo(repo);
    const ctx = this.context(r, "pushBlob", opts);
    const digest = digestOf(bytes);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.byteLength };
    const head = await this.call(ctx, r, true, {
      method: "HEAD",
      url: this.url(r, `blobs/${digest}`),
    });
    await discard(head);
    if (head.status === 200) return descriptor;
    if (head.status !== 404) throw await this.statusError(head, ctx, `blob ${digest}`);

    const start = await this.call(ctx, r, true, {
      method: "POST",
      url: this.url(r, "blobs/uploads/"),
    });
    await discard(start);
    const location = start.headers.get("location");
    if (start.status !== 202) throw await this.statusError(start, ctx, "blob upload");
    if (location === null)
      throw registryError("PROTOCOL", "upload started (202) without a Location header", ctx, {
        status: 202,
      });
    let uploadUrl: URL;
    try {
      uploadUrl = new URL(location, this.url(r, "blobs/uploads/"));
    } catch (err) {
      throw registryError(
        "PROTOCOL",
        `upload Location ${JSON.stringify(location)} is not a URL`,
        ctx,
        {
          status: 202,
          cause: err,
        },
      );
    }
    uploadUrl.searchParams.set("digest", digest);
    const put = await this.call(ctx, r, true, {
      method: "PUT",
      url: uploadUrl,
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    await discard(put);
    if (put.status !== 201 && put.status !== 204)
      throw await this.statusError(put, ctx, `blob upload ${digest}`);
    this.checkAnnouncedDigest(put, digest, ctx);
    return descriptor;
  }

  /** Pushes a manifest or index under a tag or its own digest. */
  async pushManifest(
    repo: RepositoryRef,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    opts: CallOptions = {},
  ): Promise<PushedManifest> {
    const r = toRepo(repo);
    return this.putManifest(
      r,
      checkReference(reference),
      bytes,
      mediaType,
      this.context(r, "pushManifest", opts),
    );
  }

  /**
   * The referrers of a subject digest, optionally only one artifact type: from the referrers API,
   * or, where the registry has none (404), from the index at the tag `sha256-<hex>`.
   */
  async referrers(
    repo: RepositoryRef,
    subjectDigest: string,
    opts: CallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    const r = toRepo(repo);
    const ctx = this.context(r, "referrers", opts);
    const tag = referrersTag(subjectDigest);
    const fromApi = await this.referrersFromApi(r, subjectDigest, opts.artifactType, ctx);
    let all: Descriptor[];
    if (fromApi !== undefined) all = fromApi;
    else {
      const index = await this.findFallbackIndex(r, tag, ctx);
      all = index?.json.manifests ?? [];
    }
    if (all.length > LIMITS.maxReferrers)
      throw registryError(
        "TOO_LARGE",
        `more than ${LIMITS.maxReferrers} referrers of ${subjectDigest}`,
        ctx,
      );
    const wanted = opts.artifactType;
    return wanted === undefined ? all : all.filter((d) => d.artifactType === wanted);
  }

  /**
   * Pushes a manifest that has a `subject` (by its digest) and makes it discoverable: when the
   * registry does not process the subject itself, adds it to the fallback index at
   * `sha256-<hex>` (read, de-duplicate, write, check), as cosign v3 and @sigstore/oci do.
   */
  async attachReferrer(
    repo: RepositoryRef,
    manifestBytes: Uint8Array,
    mediaType: string,
    opts: CallOptions = {},
  ): Promise<AttachedReferrer> {
    const r = toRepo(repo);
    const ctx = this.context(r, "attachReferrer", opts);
    const manifest = parseManifestBytes(manifestBytes, mediaType, ctx);
    if (manifest.subject === undefined)
      throw registryError("INVALID_REFERENCE", "the manifest to attach has no subject", ctx);
    const digest = digestOf(manifestBytes);
    const pushed = await this.putManifest(r, digest, manifestBytes, mediaType, ctx);
    const descriptor: Descriptor = { ...pushed.descriptor };
    const artifactType = artifactTypeOf(manifest);
    if (artifactType !== undefined) descriptor.artifactType = artifactType;
    if (manifest.annotations !== undefined && Object.keys(manifest.annotations).length > 0)
      descriptor.annotations = manifest.annotations;
    if (pushed.subjectProcessed) return { descriptor, subjectProcessed: true };

    const tag = referrersTag(manifest.subject.digest);
    for (let attempt = 0; attempt < FALLBACK_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.findFallbackIndex(r, tag, ctx);
      if (current?.json.manifests.some((d) => d.digest === digest))
        return { descriptor, subjectProcessed: false, fallbackTag: tag };
      const raw = current === undefined ? { manifests: [] } : rawIndex(current.bytes);
      const next = {
        ...raw,
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [...raw.manifests, descriptor],
      };
      const bytes = new TextEncoder().encode(JSON.stringify(next));
      await this.putManifest(r, tag, bytes, MEDIA_TYPES.ociIndex, ctx);
      // Another writer may have replaced the index between our read and write: check, and redo.
    }
    const final = await this.findFallbackIndex(r, tag, ctx);
    if (final?.json.manifests.some((d) => d.digest === digest))
      return { descriptor, subjectProcessed: false, fallbackTag: tag };
    throw registryError(
      "PROTOCOL",
      `the fallback index ${tag} kept losing ${digest} to concurrent writers`,
      ctx,
    );
  }

  // --- internals -----------------------------------------------------------------------------

  private context(repo: Repo, operation: string, opts: CallOptions): CallContext {
    return {
      registry: repo.registry,
      repository: repo.repository,
      operation,
      signal: deadlineSignal(this.timeoutMs, opts.signal),
      timeoutMs: this.timeoutMs,
    };
  }

  private url(repo: Repo, rest: string): URL {
    return new URL(`v2/${repo.repository}/${rest}`, registryBaseUrl(repo.registry, this.insecure));
  }

  /**
   * Sends a request with whatever the registry asked for last time; on 401 answers the challenge
   * once and resends. Credentials go only to the registry's own origin.
   */
  private async call(
    ctx: CallContext,
    repo: Repo,
    push: boolean,
    req: HttpRequest,
  ): Promise<Response> {
    const scope = repositoryScope(repo.repository, push);
    const sameOrigin = req.url.origin === registryBaseUrl(repo.registry, this.insecure).origin;
    const withAuth = (authorization: string | undefined): HttpRequest =>
      authorization === undefined || !sameOrigin
        ? req
        : { ...req, headers: { ...req.headers, authorization } };

    const first = sameOrigin ? await this.auth.authorization(scope, ctx) : undefined;
    const res = await this.transport.send(withAuth(first), ctx);
    if (res.status !== 401 || !sameOrigin) return res;
    await discard(res);
    const header = await this.auth.respond(res.headers.get("www-authenticate"), scope, ctx);
    const again = await this.transport.send(withAuth(header), ctx);
    if (again.status !== 401) return again;
    await discard(again);
    this.auth.forget(scope, repo.registry);
    const credential = this.auth.credentialFor(repo.registry, repo.repository);
    throw registryError(
      "UNAUTHORIZED",
      credential === undefined
        ? `the registry requires credentials and none are configured for ${repo.registry}`
        : `the registry rejected the credentials configured for ${repo.registry}`,
      ctx,
      { status: 401 },
    );
  }

  private async fetchManifest(
    repo: Repo,
    reference: string,
    ctx: CallContext,
    maxBytes: number = this.maxManifestBytes,
  ): Promise<FetchedManifest> {
    const res = await this.call(ctx, repo, false, {
      method: "GET",
      url: this.url(repo, `manifests/${reference}`),
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.status !== 200) throw await this.statusError(res, ctx, `manifest ${reference}`);
    const bytes = await readBounded(res, maxBytes, ctx, `manifest ${reference}`);
    const asked = parseDigest(reference);
    const digest = digestOf(bytes, asked?.algorithm ?? "sha256");
    if (asked !== undefined && digest !== reference)
      throw registryError(
        "DIGEST_MISMATCH",
        `manifest ${reference} has content hashing to ${digest}`,
        ctx,
      );
    if (asked === undefined) this.checkAnnouncedDigest(res, digest, ctx);
    const served = mediaTypeOf(res);
    const json = parseManifestBytes(bytes, served, ctx);
    const mediaType =
      served !== undefined && MANIFEST_MEDIA_TYPES.includes(served)
        ? served
        : (json.mediaType ??
          served ??
          (isIndex(json) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest));
    return { digest, mediaType, size: bytes.byteLength, bytes, json };
  }

  private async putManifest(
    repo: Repo,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    ctx: CallContext,
  ): Promise<PushedManifest> {
    if (bytes.byteLength > this.maxManifestBytes)
      throw registryError(
        "TOO_LARGE",
        `manifest is ${bytes.byteLength} bytes, over the ${this.maxManifestBytes}-byte limit`,
        ctx,
      );
    const digest = digestOf(bytes);
    if (parseDigest(reference) !== undefined && reference !== digest)
      throw registryError(
        "DIGEST_MISMATCH",
        `pushing content hashing to ${digest} as ${reference}`,
        ctx,
      );
    const res = await this.call(ctx, repo, true, {
      method: "PUT",
      url: this.url(repo, `manifests/${reference}`),
      headers: { "content-type": mediaType },
      body: bytes,
    });
    await discard(res);
    if (res.status !== 201 && res.status !== 200 && res.status !== 204)
      throw await this.statusError(res, ctx, `manifest ${reference}`);
    this.checkAnnouncedDigest(res, digest, ctx);
    return {
      descriptor: { mediaType, digest, size: bytes.byteLength },
      subjectProcessed: res.headers.get("oci-subject") !== null,
    };
  }

  /** The referrers API; undefined when the registry has none. */
  private async referrersFromApi(
    repo: Repo,
    subjectDigest: string,
    artifactType: string | undefined,
    ctx: CallContext,
  ): Promise<Descriptor[] | undefined> {
    let url = this.url(repo, `referrers/${subjectDigest}`);
    if (artifactType !== undefined) url.searchParams.set("artifactType", artifactType);
    const out: Descriptor[] = [];
    for (let page = 0; page < MAX_REFERRER_PAGES; page++) {
      const res = await this.call(ctx, repo, false, {
        method: "GET",
        url,
        headers: { accept: MEDIA_TYPES.ociIndex },
      });
      if (res.status === 404 && page === 0) {
        await discard(res);
        return undefined;
      }
      if (res.status !== 200)
        throw await this.statusError(res, ctx, `referrers of ${subjectDigest}`);
      if (page === 0 && mediaTypeOf(res) !== MEDIA_TYPES.ociIndex) {
        // Some registries answer unknown routes with 200 and a web page: no referrers API.
        await discard(res);
        return undefined;
      }
      const bytes = await readBounded(
        res,
        Math.min(this.maxManifestBytes, LIMITS.maxEvidenceManifestBytes),
        ctx,
        `referrers of ${subjectDigest}`,
      );
      const json = parseManifestBytes(bytes, MEDIA_TYPES.ociIndex, ctx);
      if (!isIndex(json))
        throw registryError("PROTOCOL", `referrers of ${subjectDigest}: not an image index`, ctx);
      if (out.length + json.manifests.length > LIMITS.maxReferrers)
        throw registryError(
          "TOO_LARGE",
          `more than ${LIMITS.maxReferrers} referrers of ${subjectDigest}`,
          ctx,
        );
      for (const d of json.manifests) out.push(d);
      const next = nextLink(res.headers.get("link"), url, ctx);
      if (next === undefined) return out;
      if (next.origin !== url.origin)
        throw registryError(
          "PROTOCOL",
          `referrers page link leaves the registry: ${next.origin}`,
          ctx,
        );
      url = next;
    }
    throw registryError("TOO_LARGE", `more than ${MAX_REFERRER_PAGES} pages of referrers`, ctx);
  }

  private async findFallbackIndex(
    repo: Repo,
    tag: string,
    ctx: CallContext,
  ): Promise<(FetchedManifest & { json: ImageIndex }) | undefined> {
    let m: FetchedManifest;
    try {
      m = await this.fetchManifest(
        repo,
        tag,
        ctx,
        Math.min(this.maxManifestBytes, LIMITS.maxEvidenceManifestBytes),
      );
    } catch (err) {
      if (err instanceof RegistryError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
    const json = m.json;
    if (!isIndex(json) || !INDEX_MEDIA_TYPES.includes(m.mediaType))
      throw registryError(
        "PROTOCOL",
        `tag ${tag} should hold the referrers index but holds a ${m.mediaType}`,
        ctx,
      );
    return { ...m, json };
  }

  private checkAnnouncedDigest(res: Response, digest: string, ctx: CallContext): void {
    const announced = res.headers.get("docker-content-digest");
    if (announced === null) return;
    const parsed = parseDigest(announced);
    if (parsed === undefined || parsed.algorithm !== "sha256" || announced === digest) return;
    throw registryError(
      "DIGEST_MISMATCH",
      `the registry announced ${announced} for content hashing to ${digest}`,
      ctx,
    );
  }

  /** The error for an unexpected status, with the registry's own error codes when it sent them. */
  private async statusError(res: Response, ctx: CallContext, what: string): Promise<RegistryError> {
    let detail = "";
    if (res.bodyUsed === false && res.body !== null) {
      try {
        const bytes = await readBounded(res, MAX_ERROR_BODY_BYTES, ctx, "error body");
        detail = describeErrorBody(bytes);
      } catch {
        await discard(res);
      }
    }
    const suffix = detail === "" ? "" : ` (${detail})`;
    const status = res.status;
    if (status === 404)
      return registryError("NOT_FOUND", `${what} not found${suffix}`, ctx, { status });
    if (status === 403)
      return registryError("DENIED", `access to ${what} denied (HTTP 403)${suffix}`, ctx, {
        status,
      });
    if (status === 413)
      return registryError("TOO_LARGE", `the registry refused ${what} as too large${suffix}`, ctx, {
        status,
      });
    if (status === 429 || status >= 500)
      return registryError(
        "UNREACHABLE",
        `the registry keeps failing (HTTP ${status}) on ${what}; try again later${suffix}`,
        ctx,
        { status },
      );
    return registryError("PROTOCOL", `unexpected HTTP ${status} for ${what}${suffix}`, ctx, {
      status,
    });
  }
}

function parseRef(ref: string): ImageReference {
  const parsed = parseImageReference(ref);
  if (!parsed.ok)
    throw new RegistryError("INVALID_REFERENCE", `${JSON.stringify(ref)}: ${parsed.error}`);
  return parsed.value;
}

function checkReference(reference: string): string {
  if (TAG_RE.test(reference) || parseDigest(reference) !== undefined) return reference;
  throw new RegistryError(
    "INVALID_REFERENCE",
    `${JSON.stringify(reference)} is neither a tag nor a sha256/sha384/sha512 digest`,
  );
}

function parseManifestBytes(
  bytes: Uint8Array,
  mediaType: string | undefined,
  ctx: CallContext,
): Manifest {
  const containers = jsonContainers(bytes);
  if (containers > LIMITS.maxJsonContainers)
    throw registryError(
      "TOO_LARGE",
      `the manifest holds about ${containers} JSON objects and arrays, more than the ${LIMITS.maxJsonContainers} allowed`,
      ctx,
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw registryError("PROTOCOL", "the manifest is not JSON", ctx, { cause: err });
  }
  const hint =
    mediaType !== undefined && MANIFEST_MEDIA_TYPES.includes(mediaType) ? mediaType : undefined;
  const parsed = parseManifest(json, hint);
  if (parsed.ok) return parsed.value;
  throw new RegistryError(
    "PROTOCOL",
    `${ctx.registry}/${ctx.repository ?? ""}: ${ctx.operation}: the manifest is not a valid OCI/Docker manifest`,
    {
      registry: ctx.registry,
      repository: ctx.repository,
      operation: ctx.operation,
      problems: parsed.problems,
    },
  );
}

/** The raw JSON of an index we are about to extend, keeping fields we do not model. */
function rawIndex(bytes: Uint8Array): Record<string, unknown> & { manifests: unknown[] } {
  const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof json === "object" && json !== null && !Array.isArray(json) && "manifests" in json) {
    const manifests = json.manifests;
    if (Array.isArray(manifests)) return { ...json, manifests };
  }
  return { manifests: [] };
}

/**
 * An upper bound on the objects and arrays a JSON text holds (brackets inside strings count
 * too), known before parsing: parsing a few megabytes of `[{},{},…]` costs far more memory than
 * the bytes themselves.
 */
export function jsonContainers(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (b === 0x7b || b === 0x5b) n++;
  return n;
}

/** `Link: <url>; rel="next"` (RFC 8288), relative to the current URL. */
function nextLink(header: string | null, base: URL, ctx: CallContext): URL | undefined {
  if (header === null) return undefined;
  for (const part of header.split(",")) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/i.test(m[2] ?? "")) {
      try {
        return new URL(m[1] ?? "", base);
      } catch (err) {
        throw registryError(
          "PROTOCOL",
          `referrers page link ${JSON.stringify(m[1])} is not a URL`,
          ctx,
          {
            cause: err,
          },
        );
      }
    }
  }
  return undefined;
}

/** The registry's `{"errors":[{"code","message"}]}` as `CODE: message; …`, else the text. */
function describeErrorBody(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text.trim().slice(0, 200);
  }
  if (typeof json !== "object" || json === null || !("errors" in json)) return "";
  if (!Array.isArray(json.errors)) return "";
  const field = (e: object, key: "code" | "message"): string => {
    const v: unknown = Reflect.get(e, key);
    return typeof v === "string" ? v : "";
  };
  return json.errors
    .filter((e: unknown): e is object => typeof e === "object" && e !== null)
    .map((e) => [field(e, "code"), field(e, "message")].filter((s) => s !== "").join(": "))
    .filter((s) => s !== "")
    .join("; ");
}

/** A response body counted against `limit` and hashed as it is read; errors are RegistryErrors. */
function verifiedStream(
  body: ReadableStream<Uint8Array>,
  url: URL,
  digest: string,
  algorithm: ParsedDigest["algorithm"],
  limit: number,
  ctx: CallContext,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const hash = createHash(algorithm);
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw networkError(err, ctx, url);
      }
      if (chunk.done) {
        const actual = `${algorithm}:${hash.digest("hex")}`;
        if (actual !== digest)
          throw registryError(
            "DIGEST_MISMATCH",
            `blob ${digest} has content hashing to ${actual}`,
            ctx,
          );
        controller.close();
        return;
      }
      total += chunk.value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw registryError("TOO_LARGE", `blob ${digest} is more than ${limit} bytes`, ctx);
      }
      hash.update(chunk.value);
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
