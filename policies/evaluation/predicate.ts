import { InputError, type FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { isRecord } from "../guards.ts";
import type { TrustLevel } from "../trust-level.ts";
import { compileSchema } from "../schema-validator.ts";
import schema from "./predicate.schema.json" with { type: "json" };

/**
 * The evaluation attestation (DESIGN.md "Evaluation attestation"): an in-toto Statement v1 whose
 * subject is the image digest and whose predicate, described by `predicate.schema.json`, records
 * how an MCP server release was evaluated. The Action writes it with `buildStatement`; the
 * verifier reads it with `readStatement`. Both validate against the same schema.
 */

export const PREDICATE_TYPE = "https://mcp-warden.dev/evaluation/v1";
export const PREDICATE_SCHEMA_ID = "https://mcp-warden.dev/evaluation/v1/schema.json";
/** The JSON Schema of the predicate (draft-07), as committed in `predicate.schema.json`. */
export const predicateSchema: object = schema;

/** The Statement type this module writes. */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/**
 * Statement types this module reads: v1, and v0.1, which cosign v2's `attest` still writes. The two
 * have the same fields for what is read here.
 */
export const STATEMENT_TYPES_READ: readonly string[] = [
  STATEMENT_TYPE,
  "https://in-toto.io/Statement/v0.1",
];

export const TRUST_LEVELS: readonly TrustLevel[] = ["L1", "L2", "L3", "L4"];

/** True when `level` is `minimum` or higher (L1 Basic < L2 Standard < L3 Verified < L4 Attested). */
export function isTrustLevelAtLeast(level: TrustLevel, minimum: TrustLevel): boolean {
  return TRUST_LEVELS.indexOf(level) >= TRUST_LEVELS.indexOf(minimum);
}

export type Verdict = "pass" | "fail";
export type SeverityLevel = "critical" | "high" | "medium" | "low" | "unknown";
export type ControlStatus = "pass" | "fail" | "skip";
/**
 * Where a control's evidence came from: the image's own inventory, a run of the image's
 * entrypoint, the lockfiles, a run of the published package, the manifest.
 */
export const EVIDENCE_SOURCES = [
  "image-inventory",
  "image-run",
  "lockfile",
  "package-run",
  "manifest",
] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];
export type CredentialKind = "oauth" | "workload-identity" | "static";

/** Digest fields named `…Digest` hold `sha256:<64 hex>`; fields named `sha256`/`…Sha256` hold bare hex. */
export interface Evaluator {
  name: string;
  version: string;
  /** `sha256:` digest of the canonical JSON of the evaluation settings applied. */
  policyDigest: string;
}

export interface ServerIdentity {
  /** Name in the manifest (`server.json`). */
  name: string;
  version: string;
  /** `sha256:` digest of the manifest file's bytes. */
  manifestDigest: string;
}

export interface SourceInfo {
  /** Repository URL, e.g. `https://github.com/modelcontextprotocol/servers`. */
  repository: string;
  /** Full git commit id. */
  commit: string;
  ref?: string;
  /** `GITHUB_WORKFLOW_REF`: `owner/repo/.github/workflows/release.yml@refs/tags/v1`. */
  workflow?: string;
  /** Decimal string. */
  runId?: string;
  runAttempt?: number;
}

export interface EgressEndpoint {
  /** Lowercase DNS name; `*.` allowed as the first label. At least one of `host`, `cidrs`, `internet`. */
  host?: string;
  /** Every public address (not private, loopback, link-local or multicast) on `ports`, which is then required. */
  internet?: true;
  /** Absent: any port. */
  ports?: number[];
  cidrs?: string[];
}

export interface IngressAgent {
  name: string;
  /** Absent: the server's namespace. */
  namespace?: string;
  /** Pod labels selecting the agent (`matchLabels`). */
  labels?: Record<string, string>;
  cidrs?: string[];
  /** The ServiceAccount the agent authenticates as at the gateway, in `namespace`. */
  serviceAccount?: string;
  /** OIDC identities (a token's `iss` and `sub`) the agent authenticates as at the gateway. */
  subjects?: AgentSubject[];
}

/** One OIDC identity of a declared agent. */
export interface AgentSubject {
  issuer: string;
  subject: string;
}

export interface FilesystemAccess {
  /** Absolute path. */
  path: string;
  access: "read" | "read-write";
}

export interface DeclaredCredential {
  name: string;
  kind: CredentialKind;
  scopes?: string[];
  description?: string;
}

export interface DeclaredPermissions {
  egress: EgressEndpoint[];
  ingress: { ports?: number[]; agents: IngressAgent[] };
  filesystem: FilesystemAccess[];
  credentials: DeclaredCredential[];
  /** Kubernetes quantities. */
  resources?: { cpu?: string; memory?: string };
  /** Kubernetes API access (RBAC) the server's ServiceAccount needs; absent in older predicates. */
  kubernetes?: KubernetesPermission[];
}

/** Verbs × resources (in apiGroups) × namespaces; `*` in namespaces also covers cluster scope. */
export interface KubernetesPermission {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  namespaces: string[];
}

export interface ServerRun {
  transport: "stdio";
  entrypoint: string[];
  cmd: string[];
}

export interface ToolPin {
  name: string;
  description?: string;
  /** Hex SHA-256 of the canonical JSON of `inputSchema`. */
  inputSchemaSha256: string;
  outputSchemaSha256?: string;
  /** Hex SHA-256 of the canonical JSON of `{name, description, inputSchema, outputSchema, annotations}`. */
  sha256: string;
}

export interface PromptPin {
  name: string;
  description?: string;
  /** Hex SHA-256 of the canonical JSON of `{name, description, arguments}` (arguments as `{name, description, required}`). */
  sha256: string;
}

export interface ResourceTemplatePin {
  name: string;
  uriTemplate: string;
  description?: string;
  /** Hex SHA-256 of the canonical JSON of `{name, uriTemplate, description, mimeType, annotations}`. */
  sha256: string;
}

export interface InstructionsPin {
  /** The server's `instructions` exactly as it sends them. */
  text: string;
  /** Hex SHA-256 of the canonical JSON of the string. */
  sha256: string;
}

export interface VulnerabilityFinding {
  /** OSV id. */
  id: string;
  aliases: string[];
  summary?: string;
  package: { ecosystem: string; name: string; purl?: string };
  version: string;
  severity: { level: SeverityLevel; cvss?: { vector: string; score: number } };
  fixedVersion?: string;
  /** Waived by the ignore file at evaluation time, until `expires`. */
  ignored?: { reason: string; expires: string };
}

export interface ControlFinding {
  message: string;
  severity?: SeverityLevel;
  location?: string;
}

/** A control finding an ignore entry waived: what it matched, and the entry's reason and expiry. */
export interface WaivedFinding {
  finding: ControlFinding;
  /** The tool (or prompt, resource template) the finding is about, as the entry matched it. */
  tool?: string;
  /** The field under it, e.g. `inputSchema.properties.x.description`. */
  field?: string;
  /** The pin of the definition the entry was written for, when it names one (it matched). */
  sha256?: string;
  reason: string;
  /** RFC 3339 date-time, later than the evaluation's `time`. */
  expires: string;
}

export interface ControlResult {
  /** `SC-02`, `CD-03`, `PR-01`... */
  id: string;
  title?: string;
  status: ControlStatus;
  findings: ControlFinding[];
  /** Findings waived by the ignore file: they do not count against the control. */
  waived?: WaivedFinding[];
  /** Required when `status` is `skip`. */
  notes?: string;
  /** The sources the judgement rests on; empty when skipped. Absent in predicates written before it was recorded. */
  evidence?: EvidenceSource[];
}

/** The predicate of `https://mcp-warden.dev/evaluation/v1`. */
export interface EvaluationPredicate {
  evaluator: Evaluator;
  /** RFC 3339 date-time. */
  time: string;
  server: ServerIdentity;
  /** Absent outside CI. */
  source?: SourceInfo;
  /** Absent when the manifest declares none. */
  permissions?: DeclaredPermissions;
  tools: ToolPin[];
  /** Prompts pinned (`prompts/list`); absent when the server offers none and none is declared. */
  prompts?: PromptPin[];
  /** Resource templates pinned (`resources/templates/list`); absent like `prompts`. */
  resourceTemplates?: ResourceTemplatePin[];
  /** The server's `instructions` (from `initialize`) pinned; absent when it sends none. */
  instructions?: InstructionsPin;
  /**
   * How the server was run when its tools were listed from the image (CD-01 evidence `image-run`):
   * the image config's Entrypoint and Cmd, over stdio. Absent when the image was not run.
   */
  run?: ServerRun;
  vulnerabilities: VulnerabilityFinding[];
  controls: ControlResult[];
  trustLevel: TrustLevel;
  /**
   * Why `trustLevel` is not the next level up: the controls that level needs that did not pass, and
   * the evidence it needs that the evaluation lacks (an image examined). Absent at L4, and in
   * predicates written before it was recorded.
   */
  trustLevelCappedBy?: string[];
  verdict: Verdict;
}

export interface StatementSubject {
  name?: string;
  digest: Record<string, string>;
}

/** An in-toto Statement carrying an evaluation predicate. */
export interface EvaluationStatement {
  _type: string;
  subject: StatementSubject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: EvaluationPredicate;
}

const predicateValidator = compileSchema<EvaluationPredicate>(schema);

function records(value: unknown): [Record<string, unknown>, number][] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v: unknown, i) =>
    isRecord(v) ? [[v, i] as [Record<string, unknown>, number]] : [],
  );
}

// The schema says "host, cidrs or internet with ports" with anyOf; ajv then reports each as
// missing. Say it once.
function mergeEgressAlternatives(problems: FieldProblem[]): FieldProblem[] {
  const missing = new Set(problems.filter((p) => p.message === "is required").map((p) => p.path));
  const merged: FieldProblem[] = [];
  for (const p of problems) {
    const m = /^(.*\.egress\[\d+\])\.(host|cidrs|internet|ports)$/.exec(p.path);
    if (
      m === null ||
      p.message !== "is required" ||
      !missing.has(`${m[1]}.host`) ||
      !missing.has(`${m[1]}.cidrs`)
    ) {
      merged.push(p);
    } else if (m[2] === "host") {
      merged.push({
        path: m[1] ?? p.path,
        message: "needs a host, cidrs, or both; or internet: true with ports",
      });
    }
  }
  return merged;
}

function duplicates(
  items: [Record<string, unknown>, number][],
  key: string,
  at: (i: number) => string,
): FieldProblem[] {
  const first = new Map<string, number>();
  const problems: FieldProblem[] = [];
  for (const [item, i] of items) {
    const value = item[key];
    if (typeof value !== "string") continue;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else
      problems.push({
        path: at(i),
        message: `repeats ${at(earlier)} (${value}); each must be unique`,
      });
  }
  return problems;
}

// What JSON Schema cannot say: times a reader can compare, unique ids, ignores that had not expired.
// Written against the raw value so these are reported alongside schema problems, not after them.
function semanticProblems(
  value: unknown,
  base: string,
  reported: ReadonlySet<string>,
): FieldProblem[] {
  if (!isRecord(value)) return [];
  const problems: FieldProblem[] = [];
  const timeAt = (path: string, raw: unknown): number | undefined => {
    if (typeof raw !== "string" || reported.has(path)) return undefined;
    const ms = Date.parse(raw);
    if (Number.isNaN(ms))
      problems.push({ path, message: "must be a date-time a reader can compare (RFC 3339)" });
    return Number.isNaN(ms) ? undefined : ms;
  };
  const time = timeAt(fieldPath(base, "time"), value.time);
  for (const [v, i] of records(value.vulnerabilities)) {
    if (!isRecord(v.ignored)) continue;
    const path = fieldPath(base, "vulnerabilities", i, "ignored", "expires");
    const expires = timeAt(path, v.ignored.expires);
    if (time !== undefined && expires !== undefined && expires <= time)
      problems.push({
        path,
        message: "must be later than time: an expired ignore entry waives nothing",
      });
  }
  for (const [c, i] of records(value.controls))
    for (const [w, j] of records(c.waived)) {
      const path = fieldPath(base, "controls", i, "waived", j, "expires");
      const expires = timeAt(path, w.expires);
      if (time !== undefined && expires !== undefined && expires <= time)
        problems.push({
          path,
          message: "must be later than time: an expired ignore entry waives nothing",
        });
    }
  problems.push(
    ...duplicates(records(value.controls), "id", (i) => fieldPath(base, "controls", i, "id")),
    ...duplicates(records(value.tools), "name", (i) => fieldPath(base, "tools", i, "name")),
    ...duplicates(records(value.prompts), "name", (i) => fieldPath(base, "prompts", i, "name")),
    ...duplicates(records(value.resourceTemplates), "name", (i) =>
      fieldPath(base, "resourceTemplates", i, "name"),
    ),
  );
  return problems;
}

/** Every problem with `value` as an evaluation predicate, with field paths under `base`. */
export function predicateProblems(value: unknown, base = ""): FieldProblem[] {
  const schemaProblems = mergeEgressAlternatives(predicateValidator.problems(value, base));
  const reported = new Set(schemaProblems.map((p) => p.path));
  return [...schemaProblems, ...semanticProblems(value, base, reported)];
}

function parsePredicateAt(value: unknown, base: string): EvaluationPredicate {
  const problems = predicateProblems(value, base);
  if (problems.length > 0 || !predicateValidator.is(value)) {
    throw new InputError("EVALUATION_INVALID", "invalid evaluation predicate", { problems });
  }
  return value;
}

/**
 * Validates an evaluation predicate (schema and the checks a schema cannot express).
 * @throws InputError EVALUATION_INVALID listing every bad field
 */
export function parsePredicate(value: unknown): EvaluationPredicate {
  return parsePredicateAt(value, "");
}

const SHA256_HEX = /^[a-f0-9]{64}$/;

/** `sha256:<hex>` or `<hex>` → `<hex>`; undefined for anything else (uppercase hex included). */
export function sha256Hex(digest: string): string | undefined {
  const hex = digest.startsWith("sha256:") ? digest.slice("sha256:".length) : digest;
  return SHA256_HEX.test(hex) ? hex : undefined;
}

function requireSha256(digest: string, what: string): string {
  const hex = sha256Hex(digest);
  if (hex === undefined) {
    throw new InputError("INPUT_INVALID", `${what} is not a SHA-256 digest`, {
      problems: [
        { path: what, message: "must be 64 lowercase hex digits, with or without sha256:" },
      ],
    });
  }
  return hex;
}

/**
 * The in-toto Statement v1 for an evaluated image. The predicate is validated first, so nothing
 * invalid is ever signed.
 * @param subject.name the image repository, e.g. `ghcr.io/acme/server` (what cosign writes)
 * @param subject.digest the image digest, `sha256:<hex>` or `<hex>`
 * @throws InputError INPUT_INVALID for a bad subject, EVALUATION_INVALID for a bad predicate
 */
export function buildStatement(
  subject: { name: string; digest: string },
  predicate: EvaluationPredicate,
): EvaluationStatement {
  const sha256 = requireSha256(subject.digest, "subject.digest");
  if (subject.name === "") {
    throw new InputError("INPUT_INVALID", "the statement subject needs a name", {
      problems: [{ path: "subject.name", message: "must not be empty" }],
    });
  }
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: subject.name, digest: { sha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate: parsePredicateAt(predicate, "predicate"),
  };
}

interface UnknownStatement {
  _type: string;
  subject: StatementSubject[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

// The Statement layer is in-toto's, not ours: unknown fields are allowed, as the spec requires.
const statementValidator = compileSchema<UnknownStatement>({
  type: "object",
  required: ["_type", "subject", "predicateType", "predicate"],
  properties: {
    _type: { type: "string", enum: [...STATEMENT_TYPES_READ] },
    subject: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["digest"],
        properties: {
          name: { type: "string" },
          digest: {
            type: "object",
            minProperties: 1,
            additionalProperties: { type: "string", minLength: 1 },
          },
        },
      },
    },
    predicateType: { type: "string", minLength: 1 },
    predicate: { type: "object" },
  },
});

/**
 * Reads an evaluation statement (the DSSE payload, already verified) for the image `expectedDigest`
 * and returns its predicate. A statement for another digest is rejected even if it also names
 * others: a copied attestation must not approve a different image.
 * @param expectedDigest the image digest, `sha256:<hex>` or `<hex>`
 * @throws InputError STATEMENT_INVALID (not an in-toto Statement), STATEMENT_PREDICATE_TYPE (another
 *   predicate type), STATEMENT_SUBJECT_MISMATCH (no subject has this sha256), EVALUATION_INVALID
 *   (the predicate does not validate; paths under `predicate.`), INPUT_INVALID (bad expectedDigest)
 */
export function readStatement(value: unknown, expectedDigest: string): EvaluationPredicate {
  const expected = requireSha256(expectedDigest, "expectedDigest");
  const problems = statementValidator.problems(value, "");
  if (problems.length > 0 || !statementValidator.is(value)) {
    throw new InputError("STATEMENT_INVALID", "not an in-toto Statement", { problems });
  }
  if (value.predicateType !== PREDICATE_TYPE) {
    throw new InputError("STATEMENT_PREDICATE_TYPE", "not an evaluation statement", {
      problems: [
        {
          path: "predicateType",
          message: `is ${JSON.stringify(value.predicateType)}, not ${PREDICATE_TYPE}`,
        },
      ],
    });
  }
  if (!value.subject.some((s) => s.digest.sha256 === expected)) {
    const named = value.subject.map((s) => s.digest.sha256).filter((d) => d !== undefined);
    throw new InputError("STATEMENT_SUBJECT_MISMATCH", "the statement is for another image", {
      problems: [
        {
          path: "subject",
          message: `names ${named.length === 0 ? "no sha256 digest" : named.map((d) => `sha256:${d}`).join(", ")}, not sha256:${expected}`,
        },
      ],
    });
  }
  return parsePredicateAt(value.predicate, "predicate");
}
