/**
 * What a literal credential looks like, wherever a container takes a string: known token formats,
 * passwords in URLs and connection strings, `Bearer`/`Basic` authorization values, and, in a
 * variable or flag named like a secret, passwords and random-looking values. Public values that
 * look random (public keys, digests, UUIDs outside secret-named variables, publishable keys) are
 * not credentials.
 */

/** A credential format recognised by its shape alone, whatever the variable is called. */
interface TokenFormat {
  kind: string;
  pattern: RegExp;
  /** Extra check on the match, for formats whose prefix alone is too common. */
  accept?: (match: string) => boolean;
}

// Tokens are matched where they are not glued to other token characters, so `task-…` is not `sk-…`.
const START = "(?<![A-Za-z0-9_-])";
const END = "(?![A-Za-z0-9_-])";

function token(body: string): RegExp {
  return new RegExp(`${START}${body}${END}`);
}

function hasLetterAndDigit(s: string): boolean {
  return /[A-Za-z]/.test(s) && /[0-9]/.test(s);
}

const TOKEN_FORMATS: readonly TokenFormat[] = [
  {
    kind: "private key",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/,
  },
  { kind: "GitHub token", pattern: token("gh[pousr]_[A-Za-z0-9]{36,251}") },
  { kind: "GitHub fine-grained token", pattern: token("github_pat_[A-Za-z0-9_]{50,}") },
  { kind: "AWS access key ID", pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/ },
  { kind: "Slack token", pattern: token("xox[abprs]-[A-Za-z0-9-]{10,}") },
  {
    kind: "Slack webhook URL",
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,}/,
  },
  {
    kind: "Anthropic API key",
    pattern: token("sk-ant-[A-Za-z0-9_-]{32,}"),
  },
  {
    kind: "OpenAI API key",
    pattern: token("sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    accept: hasLetterAndDigit,
  },
  { kind: "Google API key", pattern: token("AIza[0-9A-Za-z_-]{35}") },
  { kind: "Stripe secret key", pattern: token("(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}") },
  { kind: "npm token", pattern: token("npm_[A-Za-z0-9]{36}") },
];

// One scan for every known prefix, so ordinary values skip the per-format patterns.
const ANY_TOKEN_PREFIX =
  /PRIVATE KEY|gh[pousr]_|github_pat_|AKIA|ASIA|xox[abprs]-|hooks\.slack\.com|sk-|AIza|[sr]k_(?:live|test)_|npm_|eyJ/;

const JWT_CANDIDATE = new RegExp(
  `${START}(eyJ[A-Za-z0-9_-]{5,})\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*${END}`,
);

/** A JWT is three base64url segments whose header decodes to a JSON object naming its `alg`. */
function jwtIn(value: string): string | undefined {
  const m = JWT_CANDIDATE.exec(value);
  const header = m?.[1];
  if (m === null || header === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null && "alg" in parsed ? m[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A reference the kubelet or a shell fills in from another variable: `$(VAR)` (Kubernetes),
 * `${VAR}` and `$VAR` (a shell). A Secret is meant to arrive that way.
 */
export const ENV_REFERENCE =
  /^(?:\$\([A-Za-z_][A-Za-z0-9_.-]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$/;

// `scheme://user:password@host` (postgres, mysql, mongodb+srv, redis, amqp, SQLAlchemy's
// `postgresql+psycopg2`...). Redis writes `redis://:password@host`.
const URL_USERINFO = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:([^\s/?#@]+)@/g;

function urlPassword(value: string): string | undefined {
  if (!value.includes("://") || !value.includes("@")) return undefined;
  for (const m of value.matchAll(URL_USERINFO)) {
    const password = m[1] ?? "";
    if (!ENV_REFERENCE.test(password)) return password;
  }
  return undefined;
}

// `key=value` pairs of ADO.NET and Azure connection strings (`;`), libpq DSNs (spaces) and URL
// queries (`?`, `&`, JDBC's `;`). Keys are case-insensitive there.
const CONNECTION_KEY =
  /(?:^|[;\s?&])(AccountKey|SharedAccessKey|Password|Passwd|Pwd|sig)\s*=\s*("[^"]*"|'[^']*'|[^;&\s"']*)/gi;
const CONNECTION_KIND: Record<string, string> = {
  accountkey: "Azure storage account key",
  sharedaccesskey: "Azure shared access key",
  password: "password in a connection string",
  passwd: "password in a connection string",
  pwd: "password in a connection string",
  sig: "Azure shared access signature",
};

function connectionSecret(value: string): Detected | undefined {
  if (!value.includes("=")) return undefined;
  for (const m of value.matchAll(CONNECTION_KEY)) {
    const key = (m[1] ?? "").toLowerCase();
    const secret = (m[2] ?? "").replace(/^(["'])(.*)\1$/, "$2");
    if (secret === "" || ENV_REFERENCE.test(secret) || /^%\(?[\w]+\)?s?$/.test(secret)) continue;
    // A SAS signature is only one with the SAS version beside it; `sig=` alone is too common.
    if (key === "sig" && !/(?:^|[?&;])sv=\d{4}-\d{2}-\d{2}/.test(value)) continue;
    return { kind: CONNECTION_KIND[key] ?? "credential in a connection string", secret };
  }
  return undefined;
}

// RFC 6750's b64token after `Bearer`, RFC 7617's base64 `user:password` after `Basic`.
const BEARER = /\bBearer\s+([A-Za-z0-9._~+/-]+=*)/i;
const BASIC = /\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])/i;

function authorizationValue(value: string): Detected | undefined {
  const bearer = BEARER.exec(value)?.[1];
  // `Bearer YOUR_TOKEN_HERE` and `Bearer <token>` are placeholders, not tokens.
  if (bearer !== undefined && bearer.length >= 12 && !wordsAndNumbers(bearer))
    return { kind: "bearer token", secret: bearer };
  const basic = BASIC.exec(value)?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    if (/^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded))
      return { kind: "HTTP Basic credentials", secret: basic };
  }
  return undefined;
}

// Variable names repeat across pods and requests; classify each once.
const secretNameMemo = new Map<string, SecretName | undefined>();

/**
 * `password`: any literal is one. `shared-secret` (`JWT_SECRET`, `SESSION_SECRET`): a passphrase
 * or a random value is one. `secret` (`*_KEY`, `*_TOKEN`, `API_KEY`...): a random value is one,
 * since such names also hold cache keys, placeholders and the names of other things.
 */
type SecretName = "password" | "shared-secret" | "secret";

/** Whether a variable (or flag) name says it holds a password or another secret. */
export function secretName(name: string): SecretName | undefined {
  if (secretNameMemo.has(name)) return secretNameMemo.get(name);
  const kind = classifyName(name);
  if (secretNameMemo.size < 4096) secretNameMemo.set(name, kind);
  return kind;
}

function classifyName(name: string): SecretName | undefined {
  // `apiKey`, `api-key` and `--api-key` read as API_KEY.
  const n = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
  // What names a key without being one: its public half, its id, where it is, what it is called.
  if (/(?:^|_)(?:PUBLIC|PUB|PUBKEY|PUBLISHABLE)(?:_|$)/.test(n)) return undefined;
  if (/_(?:ID|IDS|NAME|NAMES|FILE|PATH|DIR|HEADER|URL|URI|ENDPOINT|REF|TTL|LENGTH)$/.test(n))
    return undefined;
  if (/(?:PASSWORD|PASSWD|PASSPHRASE)$|(?:^|_)(?:PWD|PASS)$/.test(n)) return "password";
  if (/(?:^|_)SECRET$/.test(n)) return "shared-secret";
  if (/(?:^|_)(?:KEY|TOKEN)$/.test(n)) return "secret";
  if (/PASSWORD|API_?KEY|CREDENTIAL|SECRET_KEY|ACCESS_KEY|PRIVATE_KEY|AUTH_TOKEN/.test(n))
    return "secret";
  return undefined;
}

/** Values that are plainly configuration, not credentials, even in a secret-named variable. */
function obviouslyNotSecret(value: string, named: SecretName): boolean {
  const v = value.trim();
  return (
    /^(?:true|false|yes|no|on|off|enabled|disabled|none|null|nil|required|optional)$/i.test(v) ||
    /^[-+]?\d+(?:\.\d+)?(?:[a-zA-Z]{1,3})?$/.test(v) || // numbers, sizes, durations
    /^(?:\/|\.{1,2}\/|~\/)[\w.\-/]*$/.test(v) || // file paths
    /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+$/.test(v) || // URLs (a password in one is found before)
    ENV_REFERENCE.test(v) ||
    // Computed where it runs: `$(cat /run/secrets/x)`, `${VAR:-x}`, `$VAR/suffix`, backquotes.
    /^(?:\$[({A-Za-z_]|`)/.test(v) ||
    /^arn:aws[a-z-]*:/.test(v) || // AWS resource names identify keys, they are not keys
    /^(?:sha(?:1|224|256|384|512)|md5|blake2b):[0-9a-f]{32,}$/i.test(v) || // digests
    /^pk_(?:live|test)_[0-9A-Za-z]+$/.test(v) || // Stripe publishable keys are public
    isPublicKey(v) ||
    // Prose; credentials have no spaces. A passphrase does, so not under a password or *_SECRET name.
    (named === "secret" && /\s/.test(v))
  );
}

const SSH_PUBLIC_KEY_TYPES = /^(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-|sk-(?:ssh|ecdsa)-)/;

/**
 * A public key as written in configuration: an OpenSSH `authorized_keys` line or its base64 blob,
 * a PEM `PUBLIC KEY` or `CERTIFICATE`, or the base64 of a DER SubjectPublicKeyInfo.
 */
function isPublicKey(v: string): boolean {
  if (SSH_PUBLIC_KEY_TYPES.test(v) && /^\S+ AAAA[A-Za-z0-9+/]+=*(?: .*)?$/.test(v)) return true;
  if (/^-----BEGIN (?:(?:RSA |EC |PGP )?PUBLIC KEY(?: BLOCK)?|CERTIFICATE)-----/.test(v))
    return true;
  if (!/^[A-Za-z0-9+/]{40,}={0,2}$/.test(v)) return false;
  const der = Buffer.from(v, "base64");
  // An SSH key blob starts with the length-prefixed name of its type.
  const typeLength = der.length > 4 ? der.readUInt32BE(0) : 0;
  if (typeLength > 0 && typeLength < 40 && der.length > 4 + typeLength)
    if (SSH_PUBLIC_KEY_TYPES.test(der.subarray(4, 4 + typeLength).toString("latin1"))) return true;
  // SubjectPublicKeyInfo is SEQUENCE { SEQUENCE { algorithm }, BIT STRING }; a private key
  // (PKCS#1, PKCS#8, SEC 1) starts its SEQUENCE with an INTEGER version instead.
  if (der[0] !== 0x30 || der.length < 4) return false;
  const lengthBytes = (der[1] ?? 0) & 0x80 ? (der[1] ?? 0) & 0x7f : 0;
  return der[2 + lengthBytes] === 0x30;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...s].length;
  let bits = 0;
  for (const c of counts.values()) {
    const p = c / length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const MIN_RANDOM_LENGTH = 16;
// Random hex tops out at 4 bits per character, base64 near 6; words and names stay well below.
const HEX_ENTROPY = 3.0;
const OTHER_ENTROPY = 3.5;
const MIN_PASSWORD_LENGTH = 6;

function characterClasses(s: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(s)).length;
}

// `user-profile-cache-v2`, `eu-west-1`, `projects/acme/keyRings/ring`: words (camelCase too) and
// numbers joined up. Random tokens mix cases and digits inside a segment.
const WORD_SEGMENT = /^(?:(?:[a-z]+|[A-Z][a-z]+|[A-Z]+)(?:[A-Z][a-z]+)*\d*|\d+)$/;

function wordsAndNumbers(value: string): boolean {
  return value.split(/[-_.:/@]+/).every((segment) => segment === "" || WORD_SEGMENT.test(segment));
}

function looksRandom(value: string): boolean {
  if (value.length < MIN_RANDOM_LENGTH || characterClasses(value) < 2) return false;
  if (wordsAndNumbers(value)) return false;
  const threshold = /^[0-9a-fA-F-]+$/.test(value) ? HEX_ENTROPY : OTHER_ENTROPY;
  return shannonEntropy(value) >= threshold;
}

/**
 * The text a base64 value encodes, when it is configuration (JSON, YAML, `key=value` lines) rather
 * than random bytes; undefined otherwise.
 */
function encodedText(value: string): string | undefined {
  if (value.length < 16 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  const text = Buffer.from(value, /[-_]/.test(value) ? "base64url" : "base64").toString("utf8");
  if (!/^[\x20-\x7e\t\r\n]+$/.test(text)) return undefined;
  return /[\s{}":=]/.test(text) ? text : undefined;
}

/** A credential found in a value: what it is, and the part of the value that is the secret. */
export interface Detected {
  kind: string;
  secret: string;
}

/** Credentials recognisable by their shape alone, in any string a container is given. */
function byShape(value: string): Detected | undefined {
  if (ANY_TOKEN_PREFIX.test(value)) {
    for (const f of TOKEN_FORMATS) {
      const match = f.pattern.exec(value);
      if (match && (f.accept?.(match[0]) ?? true)) return { kind: f.kind, secret: match[0] };
    }
    const jwt = jwtIn(value);
    if (jwt !== undefined) return { kind: "JWT", secret: jwt };
  }
  const password = urlPassword(value);
  if (password !== undefined) return { kind: "password embedded in a URL", secret: password };
  return connectionSecret(value) ?? authorizationValue(value);
}

/**
 * The credential `value` holds, or undefined. Known formats, URLs, connection strings and
 * authorization values are recognised under any name (or none: `name` is `""` for a bare
 * argument); a random-looking value only under a name like a secret's, and any literal (a
 * passphrase too) under one like a password's.
 */
export function findCredential(name: string, value: string): Detected | undefined {
  const shaped = byShape(value);
  if (shaped !== undefined) return shaped;
  const named = name === "" ? undefined : secretName(name);
  if (named === undefined || obviouslyNotSecret(value, named)) return undefined;
  if (named === "password")
    return value.length >= MIN_PASSWORD_LENGTH ? { kind: "password", secret: value } : undefined;
  if (named === "shared-secret" && /\s/.test(value.trim()) && value.length >= 8)
    return { kind: "passphrase", secret: value };
  const text = encodedText(value);
  if (text !== undefined) {
    // Encoded configuration is judged by what it says, not by how random its encoding looks.
    const inside = byShape(text);
    return inside && { kind: `${inside.kind} (base64-encoded)`, secret: value };
  }
  return looksRandom(value) ? { kind: "high-entropy secret", secret: value } : undefined;
}

/** The kind of credential `value` looks like (`"GitHub token"`, `"JWT"`...), or undefined. */
export function detectCredential(name: string, value: string): string | undefined {
  return findCredential(name, value)?.kind;
}

/**
 * A secret as a message may show it: at most the first four characters of a long one (a format's
 * public prefix such as `ghp_`), never its length or the rest.
 */
export function maskSecret(secret: string): string {
  return secret.length >= 20 ? `${secret.slice(0, 4)}****` : "****";
}
