/**
 * Reads a container image through the registry client, without a container engine: resolves a
 * tag or an index to one platform's manifest, reads its config, and streams each layer (gzip,
 * zstd or plain tar) through a tar parser. Nothing is written to disk here; a visitor sees each
 * entry and its bytes as they stream.
 *
 * Bounds: a layer may not declare or stream more than `maxLayerBytes`, the layers together may
 * not unpack to more than `maxUncompressedBytes` nor hold more than `maxFiles` entries. Each
 * layer's bytes are hashed as they stream (its digest) and so are its uncompressed bytes (the
 * config's diff_id); a mismatch fails the walk once the layer ends, so a caller keeps nothing
 * from a walk that did not finish.
 */
import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createZstdDecompress } from "node:zlib";
import * as tar from "tar-stream";
import { isRecord } from "../../policies/guards.ts";
import type { RegistryClient } from "../registry/client.ts";
import { RegistryError } from "../registry/errors.ts";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import {
  IMAGE_MANIFEST_MEDIA_TYPES,
  MEDIA_TYPES,
  isIndex,
  parseDigest,
} from "../registry/types.ts";
import type { Descriptor, ImageManifest } from "../registry/types.ts";
import { ImageError } from "./errors.ts";

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: PlatformSpec = { os: "linux", architecture: "amd64" };

export const IMAGE_BOUNDS = {
  /** Compressed bytes of one layer, declared or streamed. */
  maxLayerBytes: 1024 * 1024 * 1024,
  /** Uncompressed bytes of all layers together. */
  maxUncompressedBytes: 4 * 1024 * 1024 * 1024,
  /** Tar entries of all layers together. */
  maxFiles: 500_000,
  /** Deadline of one layer's transfer. */
  layerTimeoutMs: 10 * 60 * 1000,
} as const;

export interface ImageBounds {
  maxLayerBytes: number;
  maxUncompressedBytes: number;
  maxFiles: number;
  layerTimeoutMs: number;
}

/** What the image runs, from its config. */
export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  entrypoint: string[];
  cmd: string[];
  user?: string;
  workingDir?: string;
  env: string[];
  /** The uncompressed digest of each layer, in order. */
  diffIds: string[];
}

export interface PulledImage {
  registry: string;
  repository: string;
  /** The platform manifest's digest: what an evaluation of this image is attached to. */
  digest: string;
  /** The index the manifest was chosen from, when the reference named one. */
  indexDigest?: string;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: Descriptor[];
}

/** `os/arch[/variant]`, as `--platform` spells it. */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split("/");
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || variant === "")
    throw new ImageError(
      "PLATFORM_NOT_FOUND",
      `${JSON.stringify(text)} is not a platform; write os/arch[/variant], e.g. linux/amd64`,
    );
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined).join("/");
}

const CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig];
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Resolves `ref` (tag or digest; an image or an index) to one platform's image and reads its
 * config. With an index, the manifest for `platform` (default linux/amd64) is chosen; a single
 * image must be for that platform when one was asked for.
 */
export async function pullImage(
  client: RegistryClient,
  ref: string,
  opts: { platform?: PlatformSpec; signal?: AbortSignal } = {},
): Promise<PulledImage> {
  const parsed = parseImageReference(ref);
  if (!parsed.ok)
    throw new RegistryError("INVALID_REFERENCE", `${JSON.stringify(ref)}: ${parsed.error}`);
  const { registry, repository } = parsed.value;
  const repo = { registry, repository };
  const call = opts.signal === undefined ? {} : { signal: opts.signal };
  const platform = opts.platform ?? DEFAULT_PLATFORM;

  let fetched = await client.getManifest(
    repo,
    parsed.value.digest ?? parsed.value.tag ?? "latest",
    call,
  );
  let indexDigest: string | undefined;
  if (isIndex(fetched.json)) {
    indexDigest = fetched.digest;
    const chosen = choosePlatform(fetched.json.manifests, platform);
    if (chosen === undefined)
      throw new ImageError(
        "PLATFORM_NOT_FOUND",
        `${ref}: the index lists no image for ${formatPlatform(platform)} (it has ${
          fetched.json.manifests
            .map((d) => (d.platform ? formatPlatform(d.platform) : "unknown"))
            .join(", ") || "none"
        })`,
      );
    fetched = await client.getManifest(repo, chosen.digest, call);
  }
  const manifest = fetched.json;
  if (isIndex(manifest) || !IMAGE_MANIFEST_MEDIA_TYPES.includes(fetched.mediaType))
    throw new ImageError(
      "UNSUPPORTED_MEDIA_TYPE",
      `${ref}: ${fetched.digest} is a ${fetched.mediaType}, not an image manifest`,
    );
  if (!CONFIG_MEDIA_TYPES.includes(manifest.config.mediaType))
    throw new ImageError(
      "UNSUPPORTED_MEDIA_TYPE",
      `${ref}: config media type ${manifest.config.mediaType} is not an image config (an artifact?)`,
    );
  const configBytes = await client.getBlob(repo, manifest.config.digest, {
    ...call,
    maxBytes: MAX_CONFIG_BYTES,
  });
  const config = parseConfig(configBytes, manifest.config.digest);
  if (indexDigest === undefined && opts.platform !== undefined && !samePlatform(config, platform))
    throw new ImageError(
      "PLATFORM_NOT_FOUND",
      `${ref} is an image for ${formatPlatform(config)}, not ${formatPlatform(platform)}`,
    );
  if (config.diffIds.length !== manifest.layers.length)
    throw new ImageError(
      "CONFIG_INVALID",
      `${ref}: the config lists ${config.diffIds.length} diff_ids for ${manifest.layers.length} layers`,
    );
  const out: PulledImage = {
    registry,
    repository,
    digest: fetched.digest,
    manifest,
    config,
    layers: manifest.layers,
  };
  if (indexDigest !== undefined) out.indexDigest = indexDigest;
  return out;
}

function samePlatform(have: PlatformSpec, want: PlatformSpec): boolean {
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  // arm64's only variant is v8; a missing variant matches any when none was asked for.
  return want.variant === undefined || (have.variant ?? "") === want.variant;
}

function choosePlatform(
  manifests: readonly Descriptor[],
  want: PlatformSpec,
): Descriptor | undefined {
  const candidates = manifests.filter(
    (d) =>
      d.platform !== undefined &&
      IMAGE_MANIFEST_MEDIA_TYPES.includes(d.mediaType) &&
      samePlatform(d.platform, want),
  );
  // Without a variant asked for, prefer the entry without one (the baseline build).
  return candidates.find((d) => d.platform?.variant === undefined) ?? candidates[0];
}

function stringList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : undefined;
}

function parseConfig(bytes: Uint8Array, digest: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new ImageError("CONFIG_INVALID", `config ${digest} is not JSON`, { cause: err });
  }
  const problems: { path: string; message: string }[] = [];
  if (!isRecord(json)) throw new ImageError("CONFIG_INVALID", `config ${digest} is not an object`);
  const str = (v: unknown, path: string, required: boolean): string | undefined => {
    if (typeof v === "string") return v;
    if (v !== undefined || required) problems.push({ path, message: "must be a string" });
    return undefined;
  };
  const os = str(json.os, "$.os", true) ?? "";
  const architecture = str(json.architecture, "$.architecture", true) ?? "";
  const variant = str(json.variant, "$.variant", false);
  const run = json.config === undefined || json.config === null ? {} : json.config;
  if (!isRecord(run)) problems.push({ path: "$.config", message: "must be an object" });
  const r = isRecord(run) ? run : {};
  const list = (key: string): string[] => {
    const v = stringList(r[key]);
    if (v === undefined) problems.push({ path: `$.config.${key}`, message: "must be strings" });
    return v ?? [];
  };
  const rootfs = json.rootfs;
  const diffIds =
    isRecord(rootfs) && Array.isArray(rootfs.diff_ids) ? stringList(rootfs.diff_ids) : undefined;
  if (diffIds === undefined || diffIds.some((d) => parseDigest(d) === undefined))
    problems.push({ path: "$.rootfs.diff_ids", message: "must be a list of digests" });
  const config: ImageConfig = {
    os,
    architecture,
    entrypoint: list("Entrypoint"),
    cmd: list("Cmd"),
    env: list("Env"),
    diffIds: diffIds ?? [],
  };
  if (variant !== undefined) config.variant = variant;
  const user = str(r.User, "$.config.User", false);
  if (user !== undefined && user !== "") config.user = user;
  const workingDir = str(r.WorkingDir, "$.config.WorkingDir", false);
  if (workingDir !== undefined && workingDir !== "") config.workingDir = workingDir;
  if (problems.length > 0)
    throw new ImageError("CONFIG_INVALID", `config ${digest} is not a valid image config`, {
      problems,
    });
  return config;
}

// --- layers ----------------------------------------------------------------------------------

export type EntryType = tar.Header["type"];

/** One tar entry of one layer, its name normalised (no `./`, no leading or trailing `/`). */
export interface LayerEntry {
  /** The layer's digest. */
  layer: string;
  /** 0-based position of the layer in the manifest (lower layers first). */
  layerIndex: number;
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  /** A hard link's target (normalised like `path`) or a symlink's target (as written). */
  linkname?: string;
}

/** An entry's bytes: read them to the end (see {@link readUpTo}) or not at all. */
export type EntryBody = AsyncIterable<Uint8Array>;

/**
 * Sees each entry with its bytes. A body left unread is drained by the walk; a visitor that
 * throws stops the walk.
 */
export type EntryVisitor = (entry: LayerEntry, body: EntryBody) => Promise<void>;

/** Reads a body to its end; its bytes when at most `limit`, else undefined (the rest is drained). */
export async function readUpTo(body: EntryBody, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total <= limit) chunks.push(chunk);
  }
  return total > limit ? undefined : Buffer.concat(chunks);
}

export interface WalkStats {
  layers: number;
  entries: number;
  uncompressedBytes: number;
}

type Compression = "gzip" | "zstd" | "none";

/** The compression a layer media type names (OCI and Docker v2, distributable or not). */
export function layerCompression(mediaType: string): Compression | undefined {
  if (!/^application\/vnd\.(oci\.image\.layer|docker\.image\.rootfs)\./.test(mediaType))
    return undefined;
  if (/[+.]gzip$/.test(mediaType)) return "gzip";
  if (/[+.]zstd$/.test(mediaType)) return "zstd";
  if (/[.]tar$/.test(mediaType)) return "none";
  return undefined;
}

/**
 * An entry name inside the root: `./` and leading `/` … refused: undefined for a name that
 * leaves the root (any `..` segment) or is absolute; "" for the root itself.
 */
export function normalizeEntryName(name: string): string | undefined {
  if (name.startsWith("/")) return undefined;
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return undefined;
  return parts.join("/");
}

export interface WalkHooks {
  signal?: AbortSignal;
  /** Called as each layer starts to stream: a caller can say what is being pulled. */
  onLayer?: (index: number, layer: Descriptor) => void;
}

/** Streams every layer of `image`, lowest first, through `visit`. */
export async function walkLayers(
  client: RegistryClient,
  image: PulledImage,
  visit: EntryVisitor,
  opts: Partial<ImageBounds> & WalkHooks = {},
): Promise<WalkStats> {
  const bounds: ImageBounds = { ...IMAGE_BOUNDS, ...definedOnly(opts) };
  const stats: WalkStats = { layers: 0, entries: 0, uncompressedBytes: 0 };
  const repo = { registry: image.registry, repository: image.repository };
  for (const [layerIndex, layer] of image.layers.entries()) {
    const name = `layer ${layerIndex + 1} (${layer.digest})`;
    const compression = layerCompression(layer.mediaType);
    if (compression === undefined)
      throw new ImageError(
        "UNSUPPORTED_MEDIA_TYPE",
        `${name} has media type ${layer.mediaType}, not a tar layer`,
        { layer: layer.digest },
      );
    if (layer.size > bounds.maxLayerBytes)
      throw new ImageError(
        "LAYER_TOO_LARGE",
        `${name} declares ${layer.size} bytes, over the ${bounds.maxLayerBytes}-byte bound`,
        { layer: layer.digest },
      );
    opts.onLayer?.(layerIndex, layer);
    let web: ReadableStream<Uint8Array>;
    try {
      web = await client.openBlob(repo, layer.digest, {
        // A layer may not stream more than it declares: the digest would fail anyway.
        maxBytes: layer.size,
        timeoutMs: bounds.layerTimeoutMs,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
    } catch (err) {
      throw layerError(err, name, layer.digest);
    }
    await walkLayer(web, compression, {
      name,
      layer: layer.digest,
      layerIndex,
      diffId: image.config.diffIds[layerIndex] ?? "",
      bounds,
      stats,
      visit,
    });
    stats.layers++;
  }
  return stats;
}

function definedOnly(o: Partial<ImageBounds>): Partial<ImageBounds> {
  const out: Partial<ImageBounds> = {};
  for (const k of ["maxLayerBytes", "maxUncompressedBytes", "maxFiles", "layerTimeoutMs"] as const)
    if (o[k] !== undefined) out[k] = o[k];
  return out;
}

interface LayerWalk {
  name: string;
  layer: string;
  layerIndex: number;
  diffId: string;
  bounds: ImageBounds;
  stats: WalkStats;
  visit: EntryVisitor;
}

async function walkLayer(
  web: ReadableStream<Uint8Array>,
  compression: Compression,
  w: LayerWalk,
): Promise<void> {
  const { name, layer } = w;
  const source = Readable.fromWeb(web);
  const stages: NodeJS.ReadWriteStream[] = [];
  if (compression === "gzip") stages.push(createGunzip());
  if (compression === "zstd") stages.push(createZstdDecompress());
  const diff = parseDigest(w.diffId);
  const hash = createHash(diff?.algorithm ?? "sha256");
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      w.stats.uncompressedBytes += chunk.byteLength;
      if (w.stats.uncompressedBytes > w.bounds.maxUncompressedBytes) {
        done(
          new ImageError(
            "UNCOMPRESSED_TOO_LARGE",
            `${name}: the layers unpack to more than ${w.bounds.maxUncompressedBytes} bytes (a decompression bomb, or an image too large to read)`,
            { layer },
          ),
        );
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      const actual = `${diff?.algorithm ?? "sha256"}:${hash.digest("hex")}`;
      if (actual !== w.diffId)
        done(
          new ImageError(
            "LAYER_DIGEST_MISMATCH",
            `${name} unpacks to ${actual}, but the config's diff_id is ${w.diffId}`,
            { layer },
          ),
        );
      else done();
    },
  });
  const extract = tar.extract();
  // The pipeline's error is the one to report: the parser only sees a premature end.
  const feeding = pipeline([source, ...stages, counter, extract]).then(
    () => undefined,
    (err: unknown) => err,
  );
  let visitError: unknown;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      w.stats.entries++;
      if (w.stats.entries > w.bounds.maxFiles)
        throw new ImageError(
          "TOO_MANY_FILES",
          `${name}: the layers hold more than ${w.bounds.maxFiles} entries`,
          { layer },
        );
      const path = normalizeEntryName(h.name);
      if (path === undefined)
        throw new ImageError(
          "PATH_ESCAPE",
          `${name}: entry ${JSON.stringify(h.name)} leaves the image root (absolute or with ..)`,
          { layer, entry: h.name },
        );
      const e: LayerEntry = {
        layer,
        layerIndex: w.layerIndex,
        path,
        type: h.type,
        size: h.size,
        mode: h.mode,
      };
      if (h.type === "link") {
        const target = normalizeEntryName(h.linkname);
        if (target === undefined || target === "")
          throw new ImageError(
            "PATH_ESCAPE",
            `${name}: hard link ${JSON.stringify(h.name)} points out of the image root (${JSON.stringify(h.linkname)})`,
            { layer, entry: h.name },
          );
        e.linkname = target;
      } else if (h.type === "symlink") e.linkname = h.linkname;
      if (path !== "") await w.visit(e, bytesOf(entry));
      entry.resume();
    }
  } catch (err) {
    visitError = err;
    extract.destroy();
  }
  const fed = await feeding;
  if (visitError instanceof ImageError) throw visitError;
  if (fed !== undefined) throw layerError(fed, name, layer);
  if (visitError !== undefined) throw layerError(visitError, name, layer);
}

async function* bytesOf(entry: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of entry)
    if (chunk instanceof Uint8Array) yield chunk;
    else throw new TypeError("the tar parser yielded a non-byte chunk");
}

function layerError(err: unknown, name: string, layer: string): Error {
  if (err instanceof ImageError) return err;
  if (err instanceof RegistryError) {
    if (err.code === "DIGEST_MISMATCH")
      return new ImageError("LAYER_DIGEST_MISMATCH", `${name}: ${err.message}`, {
        layer,
        cause: err,
      });
    if (err.code === "TOO_LARGE")
      return new ImageError("LAYER_TOO_LARGE", `${name}: ${err.message}`, { layer, cause: err });
    return new ImageError("LAYER_UNREADABLE", `${name}: ${err.message}`, { layer, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ImageError("LAYER_INVALID", `${name} is not a readable tar layer: ${message}`, {
    layer,
    cause: err,
  });
}
