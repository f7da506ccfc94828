import { fieldPath } from "../../field-path.ts";
import { yamlExample, type Finding, type Rule } from "../rule.ts";
import { containerLabel, type ContainerRef } from "../workload.ts";

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
function looksLikeJwt(value: string): boolean {
  const header = JWT_CANDIDATE.exec(value)?.[1];
  if (header === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null && "alg" in parsed;
  } catch {
    return false;
  }
}

// `scheme://user:password@host`. A password that is only a `$(VAR)` reference is expanded by the
// kubelet from another variable, which is how a Secret is meant to get there.
const URL_USERINFO = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:([^\s/?#@]+)@/g;
const ENV_REFERENCE = /^(?:\$\([A-Za-z_][A-Za-z0-9_.-]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\})$/;

function hasUrlPassword(value: string): boolean {
  if (!value.includes("://") || !value.includes("@")) return false;
  for (const m of value.matchAll(URL_USERINFO)) {
    const password = m[1] ?? "";
    if (!ENV_REFERENCE.test(password)) return true;
  }
  return false;
}

// Variable names repeat across pods and requests; classify each once.
const secretNameMemo = new Map<string, "password" | "secret" | undefined>();

/** Names of variables that by convention hold secrets. */
function secretName(name: string): "password" | "secret" | undefined {
  if (secretNameMemo.has(name)) return secretNameMemo.get(name);
  const kind = classifyName(name);
  if (secretNameMemo.size < 4096) secretNameMemo.set(name, kind);
  return kind;
}

function classifyName(name: string): "password" | "secret" | undefined {
  // `apiKey` and `api-key` read as API_KEY.
  const n = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
  if (/(?:^|_)(?:PASSWORD|PASSWD|PASSPHRASE|PWD)$/.test(n)) return "password";
  if (/(?:^|_)(?:KEY|TOKEN|SECRET)$/.test(n)) return "secret";
  if (/PASSWORD|API_?KEY|CREDENTIAL|SECRET_KEY|ACCESS_KEY|PRIVATE_KEY/.test(n)) return "secret";
  return undefined;
}

/** Values that are plainly configuration, not credentials, even in a secret-named variable. */
function obviouslyNotSecret(value: string): boolean {
  const v = value.trim();
  return (
    /^(?:true|false|yes|no|on|off|enabled|disabled|none|null|nil|required|optional)$/i.test(v) ||
    /^[-+]?\d+(?:\.\d+)?(?:[a-zA-Z]{1,3})?$/.test(v) || // numbers, sizes, durations
    /^(?:\/|\.{1,2}\/|~\/)[\w.\-/]*$/.test(v) || // file paths
    (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+$/.test(v) && !hasUrlPassword(v)) || // URLs without a password
    ENV_REFERENCE.test(v) ||
    /^arn:aws[a-z-]*:/.test(v) || // AWS resource names identify keys, they are not keys
    /\s/.test(v) // prose; credentials have no spaces
  );
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
 * The kind of credential `value` looks like (`"GitHub token"`, `"JWT"`...), or undefined. Known
 * formats are recognised in any variable; a random-looking value only in a variable named like a
 * secret, and any literal in one named like a password.
 */
export function detectCredential(name: string, value: string): string | undefined {
  if (ANY_TOKEN_PREFIX.test(value)) {
    for (const f of TOKEN_FORMATS) {
      const match = f.pattern.exec(value);
      if (match && (f.accept?.(match[0]) ?? true)) return f.kind;
    }
    if (looksLikeJwt(value)) return "JWT";
  }
  if (hasUrlPassword(value)) return "password embedded in a URL";
  const named = secretName(name);
  if (named === undefined || obviouslyNotSecret(value)) return undefined;
  if (named === "password" && value.length >= MIN_PASSWORD_LENGTH) return "password";
  if (looksRandom(value)) return "high-entropy secret";
  return undefined;
}

const NO_LITERAL_SECRETS = "credentials/no-literal-secrets";
const NO_SECRET_ENV = "credentials/no-secret-env";

function variable(name: string | undefined, index: number): string {
  return name === undefined || name === "" ? `#${index}` : name;
}

const noLiteralSecrets: Rule = {
  id: NO_LITERAL_SECRETS,
  title: "No environment variable holds a literal credential.",
  explain: {
    why: "A credential written into a manifest is in the repository and its history, in every copy of the manifest, in the API server's stored pod spec (not encrypted as Secrets can be) and readable by everyone who can read the Deployment: far more people and systems than should hold it. Treat it as leaked.",
    fix: "Revoke the credential first: it stays in version history. Put its replacement in a Secret, mount the Secret as a file (a secret or projected volume) and point the server at the file; or use workload identity, so there is no long-lived secret at all. Detected: known token formats (GitHub, AWS, Slack, OpenAI, Anthropic, Google, Stripe, npm), JWTs, private keys, passwords in URLs, and random-looking values in variables named like secrets.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                env:
                  - name: GITHUB_TOKEN_FILE
                    value: /var/run/secrets/github/token
                volumeMounts:
                  - name: github
                    mountPath: /var/run/secrets/github
                    readOnly: true
            volumes:
              - name: github
                secret:
                  secretName: mcp-example-github # create it with kubectl create secret generic
                  items:
                    - key: token
                      path: token
    `,
  },
  check({ workload }) {
    const findings: Finding[] = [];
    for (const ref of workload.containers) {
      (ref.container.env ?? []).forEach((env, j) => {
        if (typeof env.value !== "string" || env.value === "") return;
        const kind = detectCredential(env.name ?? "", env.value);
        if (kind === undefined) return;
        // The value is never repeated: findings end up in logs, events and CI output.
        findings.push({
          rule: NO_LITERAL_SECRETS,
          message: `${containerLabel(ref)} env ${variable(env.name, j)} holds a literal ${kind}; revoke it, then provide it from a mounted Secret volume or use workload identity`,
          path: fieldPath(ref.path, "env", j, "value"),
        });
      });
    }
    return findings;
  },
};

const SECRET_ENV_ADVICE =
  "environment variables leak into child processes, crash dumps and logs; mount the Secret as a projected or secret volume, or use workload identity";

function secretEnvFindings(ref: ContainerRef): Finding[] {
  const findings: Finding[] = [];
  (ref.container.env ?? []).forEach((env, j) => {
    const secretRef = env.valueFrom?.secretKeyRef;
    if (secretRef === undefined) return;
    findings.push({
      rule: NO_SECRET_ENV,
      message: `${containerLabel(ref)} env ${variable(env.name, j)} reads key ${JSON.stringify(secretRef.key ?? "")} of Secret ${JSON.stringify(secretRef.name ?? "")}; ${SECRET_ENV_ADVICE}`,
      path: fieldPath(ref.path, "env", j, "valueFrom", "secretKeyRef"),
    });
  });
  (ref.container.envFrom ?? []).forEach((source, k) => {
    if (source.secretRef === undefined) return;
    findings.push({
      rule: NO_SECRET_ENV,
      message: `${containerLabel(ref)} envFrom[${k}] loads every key of Secret ${JSON.stringify(source.secretRef.name ?? "")} into the environment; ${SECRET_ENV_ADVICE}`,
      path: fieldPath(ref.path, "envFrom", k, "secretRef"),
    });
  });
  return findings;
}

const noSecretEnv: Rule = {
  id: NO_SECRET_ENV,
  title: "No environment variable is read from a Secret; Secrets are mounted as files.",
  explain: {
    why: "Environment variables are inherited by every process the server starts (tools that run commands), printed by crash reports and debug endpoints, and readable in /proc/<pid>/environ. A mounted file is read only when needed, by the server alone, and the kubelet updates it when the Secret rotates.",
    fix: "Mount the Secret as a read-only secret or projected volume and have the server read the file (many servers take a *_FILE variable naming it) instead of valueFrom.secretKeyRef or envFrom.secretRef. The default policy only warns about this rule: MCP servers often read credentials from variables alone.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                env:
                  - name: API_TOKEN_FILE
                    value: /var/run/secrets/api/token
                volumeMounts:
                  - name: api
                    mountPath: /var/run/secrets/api
                    readOnly: true
            volumes:
              - name: api
                secret:
                  secretName: mcp-example-api
    `,
  },
  check({ workload }) {
    return workload.containers.flatMap(secretEnvFindings);
  },
};

export const credentialRules: readonly Rule[] = [noLiteralSecrets, noSecretEnv];
