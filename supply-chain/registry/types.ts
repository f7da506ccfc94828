/**
 * OCI image-spec shapes the client reads and writes: descriptors, image manifests, image indexes,
 * and the media types that name them. Parsing validates every field the client relies on and
 * reports every problem, not the first.
 */
import { createHash } from "node:crypto";
import type { FieldProblem } from "../../policies/errors.ts";
import { isRecord } from "../../policies/guards.ts";
import { LIMITS } from "./limits.ts";

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerTar: "application/vnd.oci.image.layer.v1.tar",
  /** The empty descriptor's media type: a two-byte `{}` config (or layer) of artifacts. */
  ociEmpty: "application/vnd.oci.empty.v1+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  /** What cosign v3 and sigstore-js attach: a sigstore bundle, v0.3. */
  sigstoreBundleV03: "application/vnd.dev.sigstore.bundle.v0.3+json",
  /** cosign's legacy `.sig` layers. */
  cosignSimpleSigning: "application/vnd.dev.cosign.simplesigning.v1+json",
  /** cosign's legacy `.att` layers. */
  dsseEnvelope: "application/vnd.dsse.envelope.v1+json",
  inToto: "application/vnd.in-toto+json",
  octetStream: "application/octet-stream",
} as const;

/** Manifest media types that are indexes (lists of manifests). */
export const INDEX_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
];
/** Manifest media types that are single image (or artifact) manifests. */
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
];
/** Every manifest media type the client asks for and accepts. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  ...INDEX_MEDIA_TYPES,
  ...IMAGE_MANIFEST_MEDIA_TYPES,
];

/** The bytes of the OCI empty descriptor (`{}`) and its descriptor. */
export const EMPTY_JSON = new TextEncoder().encode("{}");
export const EMPTY_DESCRIPTOR: Descriptor = {
  mediaType: MEDIA_TYPES.ociEmpty,
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
};

export interface Platform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Platform;
  /** Embedded content, base64. */
  data?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export function isIndex(m: Manifest): m is ImageIndex {
  return "manifests" in m;
}

// --- digests ---------------------------------------------------------------------------------

/** The algorithms go-digest registers by default, with their hex lengths. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export interface ParsedDigest {
  algorithm: "sha256" | "sha384" | "sha512";
  hex: string;
}

/** Splits `algorithm:hex`; undefined unless the algorithm is one we can verify and hex is well-formed. */
export function parseDigest(digest: string): ParsedDigest | undefined {
  const m = DIGEST_RE.exec(digest);
  if (!m) return undefined;
  const algorithm = m[1] ?? "";
  const hex = m[2] ?? "";
  if (algorithm !== "sha256" && algorithm !== "sha384" && algorithm !== "sha512") return undefined;
  if (hex.length !== DIGEST_HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex };
}

export function digestOf(
  bytes: Uint8Array,
  algorithm: ParsedDigest["algorithm"] = "sha256",
): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** The descriptor of the given bytes. */
export function descriptorOf(bytes: Uint8Array, mediaType: string): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
}

// --- parsing ---------------------------------------------------------------------------------

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

function stringRecord(v: unknown, path: string, problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) {
    problems.push({ path, message: "must be an object of strings" });
    return out;
  }
  const keys = Object.keys(v).length;
  if (keys > LIMITS.maxAnnotations) {
    problems.push({
      path,
      message: `has ${keys} entries, more than the ${LIMITS.maxAnnotations} allowed`,
    });
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === "string") out[k] = val;
    else problems.push({ path: `${path}.${k}`, message: "must be a string" });
  }
  return out;
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  problems: FieldProblem[],
): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  problems.push({ path: `${path}.${key}`, message: "must be a string" });
  return undefined;
}

/** Validates one descriptor; problems are appended, the value is usable only when none were. */
export function readDescriptor(v: unknown, path: string, problems: FieldProblem[]): Descriptor {
  const d: Descriptor = { mediaType: "", digest: "", size: 0 };
  if (!isRecord(v)) {
    problems.push({ path, message: "must be a descriptor object" });
    return d;
  }
  if (typeof v.mediaType === "string" && v.mediaType !== "") d.mediaType = v.mediaType;
  else problems.push({ path: `${path}.mediaType`, message: "must be a non-empty string" });
  if (typeof v.digest === "string" && DIGEST_RE.test(v.digest)) d.digest = v.digest;
  else problems.push({ path: `${path}.digest`, message: "must be a digest (algorithm:encoded)" });
  if (typeof v.size === "number" && Number.isSafeInteger(v.size) && v.size >= 0) d.size = v.size;
  else problems.push({ path: `${path}.size`, message: "must be a non-negative integer" });
  const artifactType = optionalString(v, "artifactType", path, problems);
  if (artifactType !== undefined) d.artifactType = artifactType;
  const data = optionalString(v, "data", path, problems);
  if (data !== undefined) d.data = data;
  if (v.annotations !== undefined)
    d.annotations = stringRecord(v.annotations, `${path}.annotations`, problems);
  if (v.urls !== undefined) {
    if (Array.isArray(v.urls) && v.urls.every((u) => typeof u === "string"))
      d.urls = v.urls.filter((u): u is string => typeof u === "string");
    else problems.push({ path: `${path}.urls`, message: "must be an array of strings" });
  }
  if (v.platform !== undefined) {
    const p = v.platform;
    if (isRecord(p) && typeof p.architecture === "string" && typeof p.os === "string") {
      const platform: Platform = { architecture: p.architecture, os: p.os };
      if (typeof p["os.version"] === "string") platform["os.version"] = p["os.version"];
      if (typeof p.variant === "string") platform.variant = p.variant;
      if (Array.isArray(p["os.features"]))
        platform["os.features"] = p["os.features"].filter(
          (f): f is string => typeof f === "string",
        );
      d.platform = platform;
    } else
      problems.push({ path: `${path}.platform`, message: "must have string architecture and os" });
  }
  return d;
}

function descriptorList(v: unknown, path: string, problems: FieldProblem[]): Descriptor[] {
  if (!Array.isArray(v)) {
    problems.push({ path, message: "must be an array of descriptors" });
    return [];
  }
  if (v.length > LIMITS.maxDescriptorsPerManifest) {
    problems.push({
      path,
      message: `has ${v.length} entries, more than the ${LIMITS.maxDescriptorsPerManifest} allowed`,
    });
    return [];
  }
  return v.map((item, i) => readDescriptor(item, `${path}[${i}]`, problems));
}

function annotationCount(json: Record<string, unknown>): number {
  const of = (v: unknown): number =>
    isRecord(v) && isRecord(v.annotations) ? Object.keys(v.annotations).length : 0;
  let n = of(json) + of(json.subject) + of(json.config);
  for (const list of [json.manifests, json.layers])
    if (Array.isArray(list)) for (const d of list) n += of(d);
  return n;
}

/**
 * Validates a manifest or index. Which one it is comes from `mediaType` (the response's
 * Content-Type, or the document's own field), else from its shape.
 */
export function parseManifest(json: unknown, mediaType?: string): Parsed<Manifest> {
  const problems: FieldProblem[] = [];
  if (!isRecord(json))
    return { ok: false, problems: [{ path: "$", message: "must be an object" }] };
  // Each annotation is copied into the result: their total, not only their number per
  // descriptor, bounds what a manifest costs to keep.
  const annotations = annotationCount(json);
  if (annotations > LIMITS.maxAnnotationsPerManifest)
    return {
      ok: false,
      problems: [
        {
          path: "$",
          message: `has ${annotations} annotations in all, more than the ${LIMITS.maxAnnotationsPerManifest} allowed`,
        },
      ],
    };
  if (json.schemaVersion !== 2) problems.push({ path: "$.schemaVersion", message: "must be 2" });
  const ownType = optionalString(json, "mediaType", "$", problems);
  const type = ownType ?? mediaType;
  if (ownType !== undefined && mediaType !== undefined && ownType !== mediaType)
    problems.push({
      path: "$.mediaType",
      message: `is ${ownType} but the registry served it as ${mediaType}`,
    });
  const index =
    type !== undefined && MANIFEST_MEDIA_TYPES.includes(type)
      ? INDEX_MEDIA_TYPES.includes(type)
      : "manifests" in json;

  const common: {
    mediaType?: string;
    artifactType?: string;
    annotations?: Record<string, string>;
    subject?: Descriptor;
  } = {};
  if (ownType !== undefined) common.mediaType = ownType;
  const artifactType = optionalString(json, "artifactType", "$", problems);
  if (artifactType !== undefined) common.artifactType = artifactType;
  if (json.annotations !== undefined)
    common.annotations = stringRecord(json.annotations, "$.annotations", problems);
  if (json.subject !== undefined)
    common.subject = readDescriptor(json.subject, "$.subject", problems);

  let value: Manifest;
  if (index) {
    value = {
      schemaVersion: 2,
      ...common,
      manifests: descriptorList(json.manifests, "$.manifests", problems),
    };
  } else {
    value = {
      schemaVersion: 2,
      ...common,
      config: readDescriptor(json.config, "$.config", problems),
      layers: descriptorList(json.layers, "$.layers", problems),
    };
  }
  if (problems.length > LIMITS.maxProblemsReported) {
    const more = problems.length - LIMITS.maxProblemsReported;
    problems.length = LIMITS.maxProblemsReported;
    problems.push({ path: "$", message: `and ${more} more problems` });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/**
 * The artifact type a referrers list gives a manifest: its `artifactType`, else (for an image
 * manifest) its config's media type, as the OCI distribution spec says.
 */
export function artifactTypeOf(m: Manifest): string | undefined {
  if (m.artifactType !== undefined) return m.artifactType;
  return isIndex(m) ? undefined : m.config.mediaType;
}
