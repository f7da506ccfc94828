/**
 * Where registry credentials come from: a Docker config JSON (`~/.docker/config.json`, what
 * `docker login` writes), Kubernetes image pull secrets (`kubernetes.io/dockerconfigjson` and the
 * legacy `kubernetes.io/dockercfg`), or values given directly. The webhook fetches the Secrets;
 * this module only reads them.
 *
 * Credentials belong to one registry host. Keys match the way Docker and the kubelet match them:
 * the scheme and the `/v1/`, `/v2/` API paths are ignored; `index.docker.io`, `registry-1.docker.io`
 * and `https://index.docker.io/v1/` all mean `docker.io`; a kubelet-style key may name a
 * repository prefix (`registry.example/team-a`) and use `*` for one DNS label (`*.azurecr.io`).
 * `credsStore` and `credHelpers` name programs, which a library must not run, so they are ignored.
 */
import { errorMessage, type FieldProblem } from "../../policies/errors.ts";
import { isRecord } from "../../policies/guards.ts";
import { RegistryError } from "./errors.ts";

export type Credential = { username: string; password: string } | { identityToken: string };

export interface CredentialSource {
  /**
   * Credentials for a registry host (`ghcr.io`, `127.0.0.1:5000`, `docker.io`), optionally for
   * one repository in it (for keys scoped to a repository prefix); undefined for anonymous.
   */
  forRegistry(host: string, repository?: string): Credential | undefined;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** The canonical host of a registry name or a config key: no scheme, no path, Docker Hub as `docker.io`. */
export function normalizeRegistryHost(hostOrKey: string): string {
  const withoutScheme = hostOrKey.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const host = withoutScheme.split("/", 1)[0]?.toLowerCase() ?? "";
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

interface Entry {
  key: string;
  hostPattern: string;
  wildcard: boolean;
  /** Repository prefix the key is limited to; "" for the whole registry. */
  path: string;
  credential: Credential;
}

function parseKey(key: string): { host: string; path: string } {
  const withoutScheme = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = withoutScheme.indexOf("/");
  const host = normalizeRegistryHost(slash < 0 ? withoutScheme : withoutScheme.slice(0, slash));
  let path = slash < 0 ? "" : withoutScheme.slice(slash + 1);
  // `https://index.docker.io/v1/` and friends name the API version, not a repository.
  path = path.replace(/^v[12](\/|$)/, "").replace(/\/+$/, "");
  return { host, path };
}

function hostMatches(entry: Entry, host: string): boolean {
  if (!entry.wildcard) return entry.hostPattern === host;
  const [patternName = "", patternPort] = splitPort(entry.hostPattern);
  const [name = "", port] = splitPort(host);
  if (patternPort !== port) return false;
  const want = patternName.split(".");
  const got = name.split(".");
  if (want.length !== got.length) return false;
  return want.every((label, i) => {
    const re = new RegExp(`^${label.split("*").map(escapeRegExp).join("[^.]*")}$`);
    return re.test(got[i] ?? "");
  });
}

function splitPort(host: string): [string, string | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(host);
  return [m?.[1] ?? host, m?.[2]];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function pathMatches(entry: Entry, repository: string | undefined): boolean {
  if (entry.path === "") return true;
  if (repository === undefined) return false;
  return repository === entry.path || repository.startsWith(`${entry.path}/`);
}

/** Picks the most specific entry: exact host before wildcard, longer repository prefix first. */
function lookup(
  entries: readonly Entry[],
  host: string,
  repository?: string,
): Credential | undefined {
  const h = normalizeRegistryHost(host);
  let best: Entry | undefined;
  for (const e of entries) {
    if (!hostMatches(e, h) || !pathMatches(e, repository)) continue;
    if (best === undefined || rank(e) > rank(best)) best = e;
  }
  return best?.credential;
}

function rank(e: Entry): number {
  return (e.wildcard ? 0 : 1_000_000) + e.path.length;
}

function sourceOf(entries: Entry[]): CredentialSource {
  return { forRegistry: (host, repository) => lookup(entries, host, repository) };
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, "");
  if (!BASE64_RE.test(compact)) return undefined;
  return Buffer.from(compact, "base64").toString("utf8");
}

function quoteKey(key: string): string {
  return /^[A-Za-z0-9_.:-]+$/.test(key) ? key : JSON.stringify(key);
}

/** Reads the `auths`-style map (key → { auth | username+password | identitytoken }). */
function readAuthMap(map: unknown, path: string, problems: FieldProblem[]): Entry[] {
  if (!isRecord(map)) {
    problems.push({ path, message: "must be an object mapping registry hosts to credentials" });
    return [];
  }
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(map)) {
    const at = `${path}.${quoteKey(key)}`;
    const { host, path: repoPath } = parseKey(key);
    if (host === "") {
      problems.push({ path: at, message: "the key does not name a registry host" });
      continue;
    }
    if (!isRecord(value)) {
      problems.push({ path: at, message: "must be an object" });
      continue;
    }
    const credential = readCredential(value, at, problems);
    if (credential === undefined) continue;
    entries.push({
      key,
      hostPattern: host,
      wildcard: host.includes("*"),
      path: repoPath,
      credential,
    });
  }
  return entries;
}

function readCredential(
  value: Record<string, unknown>,
  at: string,
  problems: FieldProblem[],
): Credential | undefined {
  const before = problems.length;
  for (const field of ["auth", "username", "password", "identitytoken"] as const) {
    if (value[field] !== undefined && typeof value[field] !== "string")
      problems.push({ path: `${at}.${field}`, message: "must be a string" });
  }
  if (problems.length > before) return undefined;
  const str = (k: string): string | undefined => {
    const v = value[k];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const identityToken = str("identitytoken");
  if (identityToken !== undefined) return { identityToken };
  const auth = str("auth");
  if (auth !== undefined) {
    const decoded = decodeBase64(auth);
    if (decoded === undefined) {
      problems.push({ path: `${at}.auth`, message: "must be base64 of username:password" });
      return undefined;
    }
    const colon = decoded.indexOf(":");
    if (colon <= 0) {
      problems.push({
        path: `${at}.auth`,
        message: "must decode to username:password (no ':' or an empty username)",
      });
      return undefined;
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const username = str("username");
  const password = str("password");
  if (username !== undefined && password !== undefined) return { username, password };
  if (username !== undefined || password !== undefined) {
    problems.push({ path: at, message: "has a username or a password but not both" });
    return undefined;
  }
  // `{}` entries are what `docker login` leaves next to a credsStore: nothing to use here.
  return undefined;
}

const NOT_JSON = Symbol("not JSON");

function parseJsonText(input: unknown, path: string, problems: FieldProblem[]): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input) as unknown;
  } catch (err) {
    problems.push({
      path,
      message: `is not JSON: ${errorMessage(err)}`,
    });
    return NOT_JSON;
  }
}

function invalid(what: string, problems: FieldProblem[]): RegistryError {
  const n = problems.length;
  return new RegistryError(
    "CREDENTIALS_INVALID",
    `${what} cannot be read (${n} problem${n === 1 ? "" : "s"})`,
    { operation: "credentials", problems },
  );
}

/**
 * Credentials from a Docker config: the parsed JSON object, or its text. Throws `RegistryError`
 * `CREDENTIALS_INVALID` listing every bad field.
 */
export function fromDockerConfig(config: unknown, name = "docker config"): CredentialSource {
  const problems: FieldProblem[] = [];
  const entries = readDockerConfig(config, "$", problems);
  if (problems.length > 0) throw invalid(name, problems);
  return sourceOf(entries);
}

function readDockerConfig(config: unknown, path: string, problems: FieldProblem[]): Entry[] {
  const json = parseJsonText(config, path, problems);
  if (json === NOT_JSON) return [];
  if (!isRecord(json)) {
    problems.push({ path, message: "must be a JSON object" });
    return [];
  }
  if (json.auths === undefined) return [];
  return readAuthMap(json.auths, `${path}.auths`, problems);
}

const DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson";
const DOCKERCFG = "kubernetes.io/dockercfg";

/**
 * Credentials from Kubernetes Secret objects (as the API returns them: `data` values base64) of
 * type `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`) or `kubernetes.io/dockercfg`
 * (`.dockercfg`, the bare map of hosts). Earlier secrets win, as for the kubelet's
 * `imagePullSecrets` order. Throws `CREDENTIALS_INVALID` listing every bad field of every secret;
 * to skip bad secrets instead, call it once per secret and combine with `chainCredentials`.
 */
export function fromPullSecrets(secrets: readonly unknown[]): CredentialSource {
  const problems: FieldProblem[] = [];
  const sources: CredentialSource[] = [];
  secrets.forEach((secret, i) => {
    const entries = readPullSecret(secret, i, problems);
    sources.push(sourceOf(entries));
  });
  if (problems.length > 0) throw invalid("image pull secrets", problems);
  return chainCredentials(...sources);
}

function readPullSecret(secret: unknown, index: number, problems: FieldProblem[]): Entry[] {
  if (!isRecord(secret)) {
    problems.push({ path: `secrets[${index}]`, message: "must be a Secret object" });
    return [];
  }
  const meta = isRecord(secret.metadata) ? secret.metadata : {};
  const name =
    typeof meta.name === "string"
      ? `${typeof meta.namespace === "string" ? `${meta.namespace}/` : ""}${meta.name}`
      : `secrets[${index}]`;
  const type = secret.type;
  const key =
    type === DOCKERCONFIGJSON ? ".dockerconfigjson" : type === DOCKERCFG ? ".dockercfg" : undefined;
  if (key === undefined) {
    problems.push({
      path: `${name}.type`,
      message: `must be ${DOCKERCONFIGJSON} or ${DOCKERCFG}, not ${JSON.stringify(type)}`,
    });
    return [];
  }
  const dataPath = `${name}.data[${key}]`;
  const data = isRecord(secret.data) ? secret.data[key] : undefined;
  if (typeof data !== "string") {
    problems.push({ path: dataPath, message: "is missing (must be base64 JSON)" });
    return [];
  }
  const text = decodeBase64(data);
  if (text === undefined) {
    problems.push({ path: dataPath, message: "must be base64" });
    return [];
  }
  if (key === ".dockerconfigjson") return readDockerConfig(text, dataPath, problems);
  const map = parseJsonText(text, dataPath, problems);
  return map === NOT_JSON ? [] : readAuthMap(map, dataPath, problems);
}

/** Credentials given directly, keyed like a Docker config (`ghcr.io`, `registry.example/team`). */
export function staticCredentials(map: Readonly<Record<string, Credential>>): CredentialSource {
  return sourceOf(
    Object.entries(map).map(([key, credential]) => {
      const { host, path } = parseKey(key);
      return { key, hostPattern: host, wildcard: host.includes("*"), path, credential };
    }),
  );
}

/** Tries each source in order; the first that has credentials for the registry wins. */
export function chainCredentials(...sources: readonly CredentialSource[]): CredentialSource {
  return {
    forRegistry(host, repository) {
      for (const s of sources) {
        const c = s.forRegistry(host, repository);
        if (c !== undefined) return c;
      }
      return undefined;
    },
  };
}
