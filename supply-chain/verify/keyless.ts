/**
 * Keyless (Fulcio certificate) verification: a sigstore trusted root, loaded from its JSON form,
 * and the policy's keyless signers compiled into identities. Synchronous over data passed in:
 * reading the root from a file or through TUF is the edge's job.
 */
import type { Bundle } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import {
  PolicyError,
  toSignedEntity,
  toTrustMaterial,
  VerificationError,
  Verifier,
  type TrustMaterial,
} from "@sigstore/verify";
import { errorClass, type FieldProblem } from "../../policies/errors.ts";
import { isRecord } from "../../policies/guards.ts";
import {
  keylessIdentities,
  type KeylessIdentity,
  type TrustedSigner,
} from "../../policies/workload/policy.ts";

export type KeylessErrorCode =
  /** The trusted root is not a sigstore TrustedRoot; `problems` lists every bad field. */
  | "TRUSTED_ROOT_INVALID"
  /** Thresholds that are invalid, or that the trusted root could never satisfy. */
  | "KEYLESS_OPTIONS_INVALID";

export class KeylessError extends errorClass<KeylessErrorCode>("KeylessError") {}

/**
 * How much independent evidence a keyless bundle must carry (`@sigstore/verify` thresholds).
 * - `tlogThreshold` (default 1): verified Rekor entries (inclusion promise or proof).
 * - `ctlogThreshold` (default 1): verified SCTs embedded in the Fulcio certificate.
 * - `timestampThreshold` (default 1, never 0): verified times — Rekor's integrated time with an
 *   inclusion promise, or an RFC 3161 timestamp. `@sigstore/verify` checks the certificate chain
 *   and validity only at these times, so at least one is required.
 */
export interface KeylessThresholds {
  tlogThreshold: number;
  ctlogThreshold: number;
  timestampThreshold: number;
}

export const DEFAULT_KEYLESS_THRESHOLDS: Readonly<KeylessThresholds> = Object.freeze({
  tlogThreshold: 1,
  ctlogThreshold: 1,
  timestampThreshold: 1,
});

/** Everything keyless verification needs, compiled once and used for many bundles. */
export interface KeylessTrust {
  trustMaterial: TrustMaterial;
  identities: readonly KeylessIdentity[];
  /** DEFAULT_KEYLESS_THRESHOLDS when absent. */
  thresholds?: Partial<KeylessThresholds>;
}

export type KeylessCheckCode =
  /** No keyless identity is trusted, so no certificate can be. */
  | "NO_KEYLESS_TRUST"
  /** The certificate does not chain to a trusted CA at the signing time, or its SCTs fail. */
  | "CERTIFICATE_UNTRUSTED"
  /** Missing, invalid or mismatched transparency-log entries. */
  | "TLOG_INVALID"
  /** Missing or invalid timestamps. */
  | "TIMESTAMP_INVALID"
  /** The signature does not verify with the certificate's key. */
  | "SIGNATURE_INVALID"
  /** Verified, but the certificate's identity is not one the policy trusts. */
  | "IDENTITY_MISMATCH"
  /** Anything else the verifier rejected. */
  | "VERIFICATION_FAILED";

export type KeylessCheck =
  | { ok: true; signer: string; issuer: string; subject: string }
  | { ok: false; code: KeylessCheckCode; reason: string };

const ROOT_MEDIA_TYPES = new Set([
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "application/vnd.dev.sigstore.trustedroot.v0.1+json",
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
]);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function checkBase64(value: unknown, path: string, problems: FieldProblem[]): void {
  if (typeof value !== "string" || value.length === 0 || !BASE64.test(value)) {
    problems.push({ path, message: "must be non-empty base64" });
  }
}

function checkValidFor(value: unknown, path: string, problems: FieldProblem[]): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    problems.push({ path, message: "must be an object with start and optional end" });
    return;
  }
  for (const edge of ["start", "end"] as const) {
    const t = value[edge];
    if (t === undefined) continue;
    if (typeof t !== "string" || Number.isNaN(Date.parse(t))) {
      problems.push({ path: `${path}.${edge}`, message: "must be an RFC 3339 time" });
    }
  }
}

function checkLogs(value: unknown, path: string, problems: FieldProblem[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push({ path, message: "must be an array" });
    return;
  }
  value.forEach((log: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(log)) {
      problems.push({ path: at, message: "must be an object" });
      return;
    }
    if (typeof log.baseUrl !== "string" || log.baseUrl === "") {
      problems.push({ path: `${at}.baseUrl`, message: "must be a non-empty string" });
    }
    if (!isRecord(log.publicKey)) {
      problems.push({ path: `${at}.publicKey`, message: "is required" });
    } else {
      checkBase64(log.publicKey.rawBytes, `${at}.publicKey.rawBytes`, problems);
      checkValidFor(log.publicKey.validFor, `${at}.publicKey.validFor`, problems);
    }
    if (!isRecord(log.logId)) problems.push({ path: `${at}.logId`, message: "is required" });
    else checkBase64(log.logId.keyId, `${at}.logId.keyId`, problems);
    if (log.checkpointKeyId !== undefined) {
      if (!isRecord(log.checkpointKeyId)) {
        problems.push({ path: `${at}.checkpointKeyId`, message: "must be an object" });
      } else checkBase64(log.checkpointKeyId.keyId, `${at}.checkpointKeyId.keyId`, problems);
    }
  });
}

function checkAuthorities(value: unknown, path: string, problems: FieldProblem[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push({ path, message: "must be an array" });
    return;
  }
  value.forEach((ca: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(ca)) {
      problems.push({ path: at, message: "must be an object" });
      return;
    }
    const chain = isRecord(ca.certChain) ? ca.certChain.certificates : undefined;
    if (!Array.isArray(chain) || chain.length === 0) {
      problems.push({
        path: `${at}.certChain.certificates`,
        message: "must be a non-empty array",
      });
    } else {
      chain.forEach((cert: unknown, j) =>
        checkBase64(
          isRecord(cert) ? cert.rawBytes : undefined,
          `${at}.certChain.certificates[${j}].rawBytes`,
          problems,
        ),
      );
    }
    checkValidFor(ca.validFor, `${at}.validFor`, problems);
  });
}

/**
 * Reads a sigstore TrustedRoot in its JSON form (`trusted_root.json`, already parsed) into trust
 * material. Every bad field is reported, then keys and certificates are parsed.
 */
export function loadTrustedRoot(json: unknown): TrustMaterial {
  const problems: FieldProblem[] = [];
  if (!isRecord(json)) {
    throw new KeylessError("TRUSTED_ROOT_INVALID", "the trusted root is not a JSON object");
  }
  if (typeof json.mediaType !== "string" || !ROOT_MEDIA_TYPES.has(json.mediaType)) {
    problems.push({
      path: "mediaType",
      message: `must be one of ${[...ROOT_MEDIA_TYPES].join(", ")}`,
    });
  }
  checkLogs(json.tlogs, "tlogs", problems);
  checkLogs(json.ctlogs, "ctlogs", problems);
  checkAuthorities(json.certificateAuthorities, "certificateAuthorities", problems);
  checkAuthorities(json.timestampAuthorities, "timestampAuthorities", problems);
  if (problems.length > 0) {
    throw new KeylessError("TRUSTED_ROOT_INVALID", "the trusted root is invalid", { problems });
  }
  try {
    return toTrustMaterial(TrustedRoot.fromJSON(json));
  } catch (err) {
    throw new KeylessError(
      "TRUSTED_ROOT_INVALID",
      `the trusted root holds a key or certificate that cannot be parsed (${describeError(err)})`,
      { cause: err },
    );
  }
}

/** Fills in and checks thresholds against what the trusted root can vouch for. */
export function resolveThresholds(
  material: TrustMaterial,
  thresholds: Partial<KeylessThresholds> = {},
): KeylessThresholds {
  const t = { ...DEFAULT_KEYLESS_THRESHOLDS, ...thresholds };
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isInteger(value) || value < 0) {
      problems.push({ path: name, message: "must be a non-negative integer" });
    }
  }
  if (t.timestampThreshold < 1) {
    problems.push({
      path: "timestampThreshold",
      message:
        "must be at least 1: certificates are only checked at verified times (Rekor integrated time or RFC 3161)",
    });
  }
  if (material.certificateAuthorities.length === 0) {
    problems.push({
      path: "certificateAuthorities",
      message: "the trusted root has no certificate authority, so no certificate can verify",
    });
  }
  if (t.tlogThreshold > 0 && material.tlogs.length === 0) {
    problems.push({ path: "tlogThreshold", message: "the trusted root has no transparency log" });
  }
  if (t.ctlogThreshold > 0 && material.ctlogs.length === 0) {
    problems.push({
      path: "ctlogThreshold",
      message: "the trusted root has no certificate transparency log",
    });
  }
  if (problems.length > 0) {
    throw new KeylessError(
      "KEYLESS_OPTIONS_INVALID",
      "keyless verification thresholds cannot be met",
      { problems },
    );
  }
  return t;
}

/**
 * Compiles keyless trust once: the trusted root (JSON), the policy's keyless signers and
 * thresholds (defaults: one Rekor entry, one SCT, one verified time). Throws KeylessError.
 */
export function keylessTrust(
  trustedRoot: unknown,
  signers: readonly TrustedSigner[],
  thresholds: Partial<KeylessThresholds> = {},
): KeylessTrust {
  return trustFrom(loadTrustedRoot(trustedRoot), keylessIdentities(signers), thresholds);
}

/**
 * Keyless trust over a trusted root already loaded (`usableTrustedRoot`) and identities already
 * compiled (the compiled policy's `keylessIdentities`). Throws KeylessError.
 */
export function trustFrom(
  trustMaterial: TrustMaterial,
  identities: readonly KeylessIdentity[],
  thresholds: Partial<KeylessThresholds> = {},
): KeylessTrust {
  return { trustMaterial, identities, thresholds: resolveThresholds(trustMaterial, thresholds) };
}

/**
 * Loads a trusted root and checks that it can vouch for keyless bundles under the default
 * thresholds, so a bad one is refused when it is configured, not at the first verification.
 * Throws KeylessError.
 */
export function usableTrustedRoot(trustedRoot: unknown): TrustMaterial {
  const material = loadTrustedRoot(trustedRoot);
  resolveThresholds(material);
  return material;
}

function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    parts.push(e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ");
}

function codeOf(err: unknown): KeylessCheckCode {
  if (!(err instanceof VerificationError)) return "VERIFICATION_FAILED";
  switch (err.code) {
    case "CERTIFICATE_ERROR":
      return "CERTIFICATE_UNTRUSTED";
    case "TLOG_ERROR":
    case "TLOG_BODY_ERROR":
    case "TLOG_INCLUSION_PROOF_ERROR":
    case "TLOG_INCLUSION_PROMISE_ERROR":
    case "TLOG_MISSING_INCLUSION_ERROR":
      return "TLOG_INVALID";
    case "TIMESTAMP_ERROR":
      return "TIMESTAMP_INVALID";
    case "SIGNATURE_ERROR":
      return "SIGNATURE_INVALID";
    default:
      return "VERIFICATION_FAILED";
  }
}

const REASON_PREFIX: Record<KeylessCheckCode, string> = {
  NO_KEYLESS_TRUST: "",
  CERTIFICATE_UNTRUSTED: "certificate is not trusted",
  TLOG_INVALID: "transparency log check failed",
  TIMESTAMP_INVALID: "timestamp check failed",
  SIGNATURE_INVALID: "signature does not verify with the certificate",
  IDENTITY_MISMATCH: "",
  VERIFICATION_FAILED: "keyless verification failed",
};

export function identityMatches(
  identity: KeylessIdentity,
  issuer: string | undefined,
  subject: string | undefined,
): boolean {
  if (issuer === undefined || subject === undefined || issuer !== identity.issuer) return false;
  return typeof identity.subject === "string"
    ? subject === identity.subject
    : identity.subject.test(subject);
}

/**
 * Verifies a bundle whose verification material is a Fulcio certificate: the certificate chains
 * to a trusted CA at a verified time, thresholds of Rekor entries, SCTs and timestamps hold, the
 * signature verifies, and the certificate's identity (issuer extension, subject alternative
 * name) is one of the trusted identities. Crypto first: an unverified identity means nothing.
 * A message-signature bundle signs `artifact` (the signed bytes); DSSE bundles carry their own.
 */
export function checkKeyless(
  bundle: Bundle,
  trust: KeylessTrust | undefined,
  artifact?: Buffer,
): KeylessCheck {
  if (!trust || trust.identities.length === 0) {
    return {
      ok: false,
      code: "NO_KEYLESS_TRUST",
      reason:
        "signed with a certificate (keyless); no keyless signer is configured in this verifier",
    };
  }
  let issuer: string | undefined;
  let subject: string | undefined;
  try {
    const verifier = new Verifier(trust.trustMaterial, {
      ...DEFAULT_KEYLESS_THRESHOLDS,
      ...trust.thresholds,
    });
    const signer = verifier.verify(toSignedEntity(bundle, artifact));
    issuer = signer.identity?.extensions?.issuer;
    subject = signer.identity?.subjectAlternativeName;
  } catch (err) {
    if (err instanceof PolicyError) {
      // Not raised without a policy argument; kept so a future caller cannot mistake it.
      return { ok: false, code: "IDENTITY_MISMATCH", reason: describeError(err) };
    }
    const code = codeOf(err);
    return { ok: false, code, reason: `${REASON_PREFIX[code]} (${describeError(err)})` };
  }
  if (issuer !== undefined && subject !== undefined) {
    const matched = trust.identities.find((id) => identityMatches(id, issuer, subject));
    if (matched) return { ok: true, signer: `keyless:${issuer}:${subject}`, issuer, subject };
  }
  return {
    ok: false,
    code: "IDENTITY_MISMATCH",
    reason:
      `certificate identity (issuer ${issuer === undefined ? "missing" : JSON.stringify(issuer)}, ` +
      `subject ${subject === undefined ? "missing" : JSON.stringify(subject)}) ` +
      "does not match any trusted keyless signer",
  };
}
