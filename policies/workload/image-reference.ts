/**
 * Container image references, parsed by the grammar of github.com/distribution/reference (the
 * one Docker, containerd and the kubelet share) and normalized the way `ParseNormalizedNamed`
 * does: `nginx` is `docker.io/library/nginx`, `index.docker.io/x` is `docker.io/x`.
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path
 *   domain    := host [ ":" port ]          host: DNS-like name, IPv4, or "[" IPv6 "]"
 *   path      := component [ "/" component ]*   component: [a-z0-9]+ joined by "." "_" "__" "-"+
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex
 */

export interface ImageReference {
  /** Registry host with optional port; `docker.io` when the reference names none. */
  registry: string;
  /** Repository path inside the registry; official Docker Hub images get `library/`. */
  repository: string;
  /** `registry/repository`: what a registry client addresses. */
  name: string;
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:<64 hex>`. */
  digest?: string;
  /** The short form Docker shows: `nginx:1.27`, `acme/crm`, `ghcr.io/acme/crm@sha256:…`. */
  familiar: string;
  /**
   * The fully qualified form. A reference with neither tag nor digest gets the default tag
   * (`nginx` → `docker.io/library/nginx:latest`), since that is what a runtime pulls; a tag given
   * next to a digest is kept (`name:tag@digest`), although the digest alone decides what is pulled.
   */
  canonical: string;
}

export type ParseResult = { ok: true; value: ImageReference } | { ok: false; error: string };

const DEFAULT_REGISTRY = "docker.io";
const LEGACY_DEFAULT_REGISTRY = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const DEFAULT_TAG = "latest";
export const MAX_REPOSITORY_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
// IPv6 only in brackets, and without zone identifiers or embedded IPv4, as the grammar says.
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^\w[\w.-]*$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
// A bare image ID is not a reference; Docker refuses it to avoid ambiguity with names.
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** The algorithms go-digest registers by default, with their hex lengths. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

type Step<T> = { ok: true; value: T } | { ok: false; error: string };

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

// Admission sees the same few images over and over; parsing is pure, so results are memoized.
const MEMO_LIMIT = 4096;
const memo = new Map<string, ParseResult>();

/** Parses an image reference; a malformed one is returned as an error value, never thrown. */
export function parseImageReference(ref: string): ParseResult {
  let result = memo.get(ref);
  if (result === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    result = parseUncached(ref);
    memo.set(ref, result);
  }
  return result;
}

function parseUncached(ref: string): ParseResult {
  const shape = checkShape(ref);
  if (!shape.ok) return shape;
  const [nameAndTag, digestPart] = splitOnce(ref, "@");
  if (digestPart?.includes("@")) return fail("invalid reference format: more than one '@'");
  const { name, tag } = splitTag(nameAndTag);
  if (name === "") return fail("invalid reference format: repository name is missing");

  const digest =
    digestPart === undefined ? { ok: true as const, value: undefined } : checkDigest(digestPart);
  if (!digest.ok) return digest;
  if (tag !== undefined) {
    const tagError = checkTag(tag);
    if (tagError) return fail(tagError);
  }
  const located = locateName(name);
  if (!located.ok) return located;
  const { registry, repository } = located.value;
  return { ok: true, value: build(registry, repository, tag, digest.value) };
}

/** True when the reference names its content by a well-formed sha256 digest. */
export function isDigestPinned(ref: ImageReference): boolean {
  return ref.digest !== undefined && SHA256_DIGEST_RE.test(ref.digest);
}

function checkShape(ref: string): Step<undefined> {
  if (ref === "") return fail("image reference is empty");
  if (/\s/.test(ref)) return fail("invalid reference format: contains whitespace");
  if (IDENTIFIER_RE.test(ref))
    return fail("invalid reference format: a 64-character hex string is an image ID, not a name");
  return { ok: true, value: undefined };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** The tag follows the last ':' after the last '/', so a registry port is never taken for a tag. */
function splitTag(nameAndTag: string): { name: string; tag?: string } {
  const colon = nameAndTag.lastIndexOf(":");
  if (colon < 0 || colon < nameAndTag.lastIndexOf("/")) return { name: nameAndTag };
  return { name: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1) };
}

function checkTag(tag: string): string | undefined {
  if (tag.length > MAX_TAG_LENGTH)
    return `invalid tag: longer than ${MAX_TAG_LENGTH} characters (${tag.length})`;
  if (!TAG_RE.test(tag))
    return `invalid tag ${JSON.stringify(tag)}: must start with a letter, digit or '_' and contain only letters, digits, '_', '.' and '-'`;
  return undefined;
}

function checkDigest(digest: string): Step<string> {
  if (!DIGEST_RE.test(digest))
    return fail(`invalid digest ${JSON.stringify(digest)}: must be algorithm:hex`);
  const [algorithm = "", hex = ""] = digest.split(":");
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined)
    return fail(`unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  if (hex.length !== length)
    return fail(`invalid ${algorithm} digest: ${hex.length} hex characters, expected ${length}`);
  if (hex !== hex.toLowerCase()) return fail(`invalid ${algorithm} digest: hex must be lowercase`);
  return { ok: true, value: digest };
}

/**
 * Splits a name into registry and path. The first component is a registry only when it could not
 * be a path component: `localhost`, or it has a '.' or ':', or uppercase letters (the same
 * heuristic Docker uses, so `a/b` stays on Docker Hub).
 */
function locateName(name: string): Step<{ registry: string; repository: string }> {
  const [first, rest] = splitOnce(name, "/");
  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (rest !== undefined && isRegistryComponent(first)) {
    registry = first === LEGACY_DEFAULT_REGISTRY ? DEFAULT_REGISTRY : first;
    repository = rest;
  }
  if (registry === DEFAULT_REGISTRY && !repository.includes("/"))
    repository = OFFICIAL_PREFIX + repository;

  if (!DOMAIN_RE.test(registry)) return fail(`invalid registry ${JSON.stringify(registry)}`);
  const pathError = checkPath(repository);
  if (pathError) return fail(pathError);
  return { ok: true, value: { registry, repository } };
}

function isRegistryComponent(first: string): boolean {
  return first === "localhost" || /[.:]/.test(first) || first.toLowerCase() !== first;
}

function checkPath(repository: string): string | undefined {
  if (repository.length > MAX_REPOSITORY_LENGTH)
    return `repository name must not be more than ${MAX_REPOSITORY_LENGTH} characters (${repository.length})`;
  if (PATH_RE.test(repository)) return undefined;
  if (PATH_RE.test(repository.toLowerCase()))
    return `repository name ${JSON.stringify(repository)} must be lowercase`;
  return `invalid repository name ${JSON.stringify(repository)}: components are lowercase letters and digits separated by '.', '_', '__' or '-', joined by '/'`;
}

function build(
  registry: string,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
): ImageReference {
  const name = `${registry}/${repository}`;
  const suffix = (t: string | undefined): string =>
    (t === undefined ? "" : `:${t}`) + (digest === undefined ? "" : `@${digest}`);
  const defaultedTag = tag ?? (digest === undefined ? DEFAULT_TAG : undefined);
  const value: ImageReference = {
    registry,
    repository,
    name,
    familiar: familiarName(registry, repository) + suffix(tag),
    canonical: name + suffix(defaultedTag),
  };
  if (tag !== undefined) value.tag = tag;
  if (digest !== undefined) value.digest = digest;
  return value;
}

/**
 * Drops `docker.io/` and, for single-level official images, `library/`. Unlike Docker, it keeps
 * `docker.io/` when the path's first component would read as a registry (`docker.io/a.b/c`), so
 * the familiar form always parses back to the same reference.
 */
function familiarName(registry: string, repository: string): string {
  if (registry !== DEFAULT_REGISTRY) return `${registry}/${repository}`;
  const official = repository.startsWith(OFFICIAL_PREFIX)
    ? repository.slice(OFFICIAL_PREFIX.length)
    : undefined;
  if (official !== undefined && !official.includes("/")) return official;
  const [first] = splitOnce(repository, "/");
  return isRegistryComponent(first) ? `${registry}/${repository}` : repository;
}
