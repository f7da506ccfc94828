import { createHash } from "node:crypto";
import {
  ADMISSION_ERROR,
  CATALOGUE,
  EXCEPTION_INVALID,
  RULE_IDS,
  type RuleInfo,
} from "./catalogue.ts";
import { errorMessage, InputError, type FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { parseDuration } from "../duration.ts";
import { compileGlob, mostSpecific, type Glob } from "../glob.ts";
import { policySchema, type RULE_ACTIONS } from "./policy-schema.ts";
import type { RuleSettings } from "./rule.ts";
import { OLDEST_POD_SECURITY_MINOR, podSecurityMinor } from "./rules/pod-security-version.ts";
import type { TrustLevel } from "../trust-level.ts";
import type { AuditSpec } from "../audit/settings.ts";
import { compileSchema } from "../schema-validator.ts";
import { isDigestPinned, parseImageReference, type ImageReference } from "./image-reference.ts";
import type { LabelSelector } from "./k8s-types.ts";

export type RuleAction = (typeof RULE_ACTIONS)[number];

export type TrustedSigner =
  | { keyless: { issuer: string; subject?: string; subjectRegExp?: string }; key?: undefined }
  | { key: { publicKey: string }; keyless?: undefined };

/** A keyless signer from the policy: issuer matched exactly, subject exactly or by regexp. */
export interface KeylessIdentity {
  /** The OIDC issuer, compared exactly with the certificate's Fulcio issuer extension. */
  issuer: string;
  /**
   * The certificate's subject alternative name: a string matches exactly; a regular expression
   * is tested as the policy author wrote it (anchor it with `^…$` to match the whole name).
   */
  subject: string | RegExp;
}

/** An `MCPWardenPolicy` as authored, after schema validation. */
export interface PolicyDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    rules?: Record<string, RuleAction>;
    images?: {
      trustedSigners?: TrustedSigner[];
      evaluation?: { minTrustLevel?: TrustLevel; maxAge?: string; requireImageEvidence?: boolean };
    };
    sandbox?: { allowPersistentVolumeClaims?: boolean };
    network?: { internetEgress?: "allow" | "deny" };
    podSecurity?: { version?: string };
    runtime?: {
      gateway?: { image?: string };
      gatewayRequired?: { namespaceSelector?: LabelSelector };
      rateLimit?: { requestsPerSecond: number; burst: number };
    };
    exceptions?: { namespaces?: string[]; exemptible?: string[] };
    audit?: AuditSpec;
  };
}

/** A policy compiled once: globs resolved per rule, durations and regexes parsed. */
export interface CompiledPolicy {
  name: string;
  document: PolicyDocument;
  actionFor(ruleId: string): RuleAction;
  settings: RuleSettings;
  exceptionNamespaces: readonly string[];
  isExemptible(ruleId: string): boolean;
  trustedSigners: readonly TrustedSigner[];
  /** The keyless trusted signers, their subject regexps compiled once for every verification. */
  keylessIdentities: readonly KeylessIdentity[];
  /** `sha256:<hex>` of the whole policy: verification results are cached per policy digest. */
  digest: string;
}

/** Rules no exception can ever exempt from, whatever the policy says. */
const NEVER_EXEMPTIBLE = new Set([EXCEPTION_INVALID, ADMISSION_ERROR]);
const DEFAULT_EXEMPTIBLE = ["pod-security/*", "sandbox/*", "network/*", "credentials/*"];
/**
 * Families only a glob that names them makes exemptible: `"*"` in `exemptible` does not reach
 * `rbac/*`, so granting an exception from least privilege is always written out.
 */
const LISTED_ONLY = ["rbac/"];

/** Whether an `exemptible` glob covers a rule, under the listed-only families' stricter reading. */
function exemptibleBy(glob: Glob, ruleId: string): boolean {
  if (!glob.matches(ruleId)) return false;
  const family = LISTED_ONLY.find((f) => ruleId.startsWith(f));
  return family === undefined || glob.source.startsWith(family);
}
const DEFAULT_MAX_AGE = "720h";

const validator = compileSchema<PolicyDocument>(policySchema);

// Kept here for its callers; it lives apart because spec.audit needs it and the schema imports that.
export { parseDuration };

function semanticProblems(doc: PolicyDocument): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [glob, action] of Object.entries(doc.spec.rules ?? {})) {
    const path = fieldPath("spec.rules", glob);
    if (glob === ADMISSION_ERROR) {
      if (action === "off")
        problems.push({ path, message: "cannot be off; use audit to fail open" });
      continue;
    }
    const g = compileGlob(glob);
    if (!RULE_IDS.some((id) => g.matches(id))) {
      problems.push({ path, message: "matches no rule in the catalogue" });
    }
  }
  const podSecurityVersion = doc.spec.podSecurity?.version;
  const minor = podSecurityMinor(podSecurityVersion);
  if (minor !== undefined && minor < OLDEST_POD_SECURITY_MINOR) {
    problems.push({
      path: "spec.podSecurity.version",
      message: `${podSecurityVersion} is older than v1.${OLDEST_POD_SECURITY_MINOR}, the oldest Pod Security Admission version mcp-warden judges as`,
    });
  }
  (doc.spec.images?.trustedSigners ?? []).forEach((signer, i) => {
    const path = fieldPath("spec.images.trustedSigners", i);
    if ((signer.key === undefined) === (signer.keyless === undefined)) {
      problems.push({ path, message: "must have exactly one of key or keyless" });
    }
    if (signer.keyless) {
      const { subject, subjectRegExp } = signer.keyless;
      if ((subject === undefined) === (subjectRegExp === undefined)) {
        problems.push({
          path: fieldPath(path, "keyless"),
          message: "must have exactly one of subject or subjectRegExp",
        });
      }
      if (subjectRegExp !== undefined) {
        try {
          new RegExp(subjectRegExp, "u");
        } catch (e) {
          problems.push({
            path: fieldPath(path, "keyless", "subjectRegExp"),
            message: `is not a valid regular expression: ${errorMessage(e)}`,
          });
        }
      }
    }
    if (
      signer.key &&
      !/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----\s*$/.test(
        signer.key.publicKey.trim(),
      )
    ) {
      problems.push({
        path: fieldPath(path, "key", "publicKey"),
        message: "must be a PEM public key",
      });
    }
  });
  const gatewayImage = doc.spec.runtime?.gateway?.image;
  if (gatewayImage !== undefined) {
    const parsed = parseImageReference(gatewayImage);
    if (!parsed.ok || !isDigestPinned(parsed.value))
      problems.push({
        path: "spec.runtime.gateway.image",
        message: "must be an image reference pinned by digest (REPO@sha256:<64 hex>)",
      });
  }
  (doc.spec.runtime?.gatewayRequired?.namespaceSelector?.matchExpressions ?? []).forEach(
    (req, i) => {
      const set = req.operator === "In" || req.operator === "NotIn";
      if (set !== (req.values !== undefined && req.values.length > 0))
        problems.push({
          path: fieldPath(
            "spec.runtime.gatewayRequired.namespaceSelector.matchExpressions",
            i,
            "values",
          ),
          message: set
            ? `must not be empty for ${req.operator}`
            : `must be empty for ${req.operator}`,
        });
    },
  );
  (doc.spec.exceptions?.exemptible ?? []).forEach((glob, i) => {
    const g = compileGlob(glob);
    if ([...NEVER_EXEMPTIBLE].some((id) => g.matches(id))) {
      problems.push({
        path: fieldPath("spec.exceptions.exemptible", i),
        message: `may not cover ${[...NEVER_EXEMPTIBLE].join(" or ")}`,
      });
    } else if (!RULE_IDS.some((id) => g.matches(id))) {
      problems.push({
        path: fieldPath("spec.exceptions.exemptible", i),
        message: "matches no rule in the catalogue",
      });
    }
  });
  return problems;
}

/** Keyless signers as identities; the schema and semanticProblems have checked the regexps. */
export function keylessIdentities(signers: readonly TrustedSigner[]): KeylessIdentity[] {
  return signers.flatMap((s): KeylessIdentity[] => {
    if (!s.keyless) return [];
    const { issuer, subject, subjectRegExp } = s.keyless;
    if (subject !== undefined) return [{ issuer, subject }];
    if (subjectRegExp !== undefined) return [{ issuer, subject: new RegExp(subjectRegExp, "u") }];
    return [];
  });
}

/** The policy's gateway image, parsed; semanticProblems has checked that it is pinned. */
function gatewayImageOf(doc: PolicyDocument): ImageReference | undefined {
  const text = doc.spec.runtime?.gateway?.image;
  if (text === undefined) return undefined;
  const parsed = parseImageReference(text);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * Validates an authored policy and compiles it for evaluation.
 * @throws InputError POLICY_INVALID listing every invalid field
 */
export function compilePolicy(object: unknown): CompiledPolicy {
  const problems = validator.problems(object, "");
  if (problems.length > 0 || !validator.is(object)) {
    throw new InputError("POLICY_INVALID", "invalid MCPWardenPolicy", { problems });
  }
  const semantic = semanticProblems(object);
  if (semantic.length > 0) {
    throw new InputError("POLICY_INVALID", `invalid MCPWardenPolicy ${object.metadata.name}`, {
      problems: semantic,
    });
  }
  const doc = object;
  const ruleGlobs: (Glob & { action: RuleAction })[] = Object.entries(doc.spec.rules ?? {})
    .filter(([glob]) => glob !== ADMISSION_ERROR)
    .map(([glob, action]) => ({ ...compileGlob(glob), action }));
  const actions = new Map<string, RuleAction>();
  for (const { id } of CATALOGUE) {
    // "No policy matched" denies: a rule outside every glob is enforced.
    actions.set(id, mostSpecific(ruleGlobs, id)?.action ?? "enforce");
  }
  actions.set(ADMISSION_ERROR, doc.spec.rules?.[ADMISSION_ERROR] ?? "enforce");
  const exemptible = (doc.spec.exceptions?.exemptible ?? DEFAULT_EXEMPTIBLE).map(compileGlob);
  const podSecurityVersion = podSecurityMinor(doc.spec.podSecurity?.version);
  return {
    name: doc.metadata.name,
    document: doc,
    actionFor: (ruleId) =>
      actions.get(ruleId) ?? mostSpecific(ruleGlobs, ruleId)?.action ?? "enforce",
    settings: {
      allowPersistentVolumeClaims: doc.spec.sandbox?.allowPersistentVolumeClaims ?? false,
      internetEgress: doc.spec.network?.internetEgress ?? "deny",
      ...(podSecurityVersion === undefined ? {} : { podSecurityVersion }),
      evaluation: {
        minTrustLevel: doc.spec.images?.evaluation?.minTrustLevel ?? "L3",
        maxAgeMs: parseDuration(doc.spec.images?.evaluation?.maxAge ?? DEFAULT_MAX_AGE),
        requireImageEvidence: doc.spec.images?.evaluation?.requireImageEvidence ?? false,
      },
      runtime: {
        ...(gatewayImageOf(doc) === undefined ? {} : { gatewayImage: gatewayImageOf(doc) }),
        ...(doc.spec.runtime?.gatewayRequired?.namespaceSelector === undefined
          ? {}
          : { namespaceSelector: doc.spec.runtime.gatewayRequired.namespaceSelector }),
      },
    },
    exceptionNamespaces: doc.spec.exceptions?.namespaces ?? [],
    isExemptible: (ruleId) =>
      !NEVER_EXEMPTIBLE.has(ruleId) && exemptible.some((g) => exemptibleBy(g, ruleId)),
    trustedSigners: doc.spec.images?.trustedSigners ?? [],
    keylessIdentities: keylessIdentities(doc.spec.images?.trustedSigners ?? []),
    digest: `sha256:${createHash("sha256").update(JSON.stringify(doc)).digest("hex")}`,
  };
}

/**
 * The rules this policy runs that need registry facts, as the catalogue declares them: a new
 * registry rule is looked up for without anyone listing it again.
 */
export function registryRulesEnabled(
  policy: CompiledPolicy,
  catalogue: readonly Pick<RuleInfo, "id" | "needsRegistry">[] = CATALOGUE,
): string[] {
  const known = catalogue === CATALOGUE ? enabledByPolicy.get(policy) : undefined;
  if (known) return [...known];
  const enabled = catalogue
    .filter((r) => r.needsRegistry && policy.actionFor(r.id) !== "off")
    .map((r) => r.id);
  if (catalogue === CATALOGUE) enabledByPolicy.set(policy, enabled);
  return [...enabled];
}
// Asked on every admission request; a compiled policy's answer never changes.
const enabledByPolicy = new WeakMap<CompiledPolicy, readonly string[]>();
