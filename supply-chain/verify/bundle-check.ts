import { createHash } from "node:crypto";
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { toSignedEntity, toTrustMaterial, Verifier, type TrustMaterial } from "@sigstore/verify";
import type { TrustedRoot } from "@sigstore/protobuf-specs";
import { errorMessage } from "../../policies/errors.ts";
import { isRecord } from "../../policies/guards.ts";
import { LIMITS } from "../registry/limits.ts";
import { checkKeyless, type KeylessCheckCode, type KeylessTrust } from "./keyless.ts";
import type { TrustedKey } from "./trusted-keys.ts";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** cosign v3 writes signatures as statements with v1 and attestations with v0.1; both are in-toto. */
const STATEMENT_TYPES = new Set([
  "https://in-toto.io/Statement/v1",
  "https://in-toto.io/Statement/v0.1",
]);

export interface VerifiedStatement {
  /** Who signed it: `key:sha256:…` for keys, `keyless:<issuer>:<subject>` for certificates. */
  signer: string;
  predicateType: string;
  predicate: unknown;
  /** The whole statement, as signed. */
  raw: unknown;
}

export type BundleCheckCode =
  | KeylessCheckCode
  /** Not a sigstore bundle at all. */
  | "BUNDLE_INVALID"
  /** Verified, but not a DSSE in-toto statement. */
  | "STATEMENT_INVALID"
  /** A statement about another image (copied over). */
  | "SUBJECT_MISMATCH"
  /** A public key that no trusted key matches. */
  | "UNTRUSTED_KEY";

export type BundleCheck =
  | { ok: true; statement: VerifiedStatement }
  /** `code` is set by checkBundle; other producers may give only a reason. */
  | { ok: false; reason: string; code?: BundleCheckCode };

/** What a bundle may be trusted by: public keys, and keyless identities under a trusted root. */
export interface BundleTrust {
  keys: readonly TrustedKey[];
  keyless?: KeylessTrust;
}

const EMPTY_ROOT = {
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  certificateAuthorities: [],
  tlogs: [],
  ctlogs: [],
  timestampAuthorities: [],
} as unknown as TrustedRoot;

/** The hint sigstore bundles carry for a public key: base64 SHA-256 of its SPKI DER. */
function keyHint(key: TrustedKey): string {
  return createHash("sha256")
    .update(key.key.export({ type: "spki", format: "der" }))
    .digest("base64");
}

function keyTrust(key: TrustedKey): TrustMaterial {
  return toTrustMaterial(EMPTY_ROOT, () => ({ publicKey: key.key, validFor: () => true }));
}

interface InTotoStatement {
  subjects: unknown[];
  predicateType: string;
  predicate: unknown;
  raw: unknown;
}

/** Reads a DSSE payload as an in-toto statement (v1 or v0.1); a string says why it is not one. */
export function readInTotoPayload(payloadType: string, payload: Buffer): InTotoStatement | string {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return `DSSE payload type ${payloadType} is not an in-toto statement`;
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString("utf8"));
  } catch {
    return "the DSSE payload is not JSON";
  }
  const s = statement as {
    _type?: unknown;
    subject?: unknown;
    predicateType?: unknown;
    predicate?: unknown;
  };
  if (typeof s._type !== "string" || !STATEMENT_TYPES.has(s._type))
    return "the DSSE payload is not an in-toto statement";
  if (!Array.isArray(s.subject) || typeof s.predicateType !== "string")
    return "the statement has no subject or predicateType";
  return {
    subjects: s.subject,
    predicateType: s.predicateType,
    predicate: s.predicate,
    raw: statement,
  };
}

function parseStatement(bundle: Bundle): InTotoStatement | string {
  if (bundle.content.$case !== "dsseEnvelope")
    return "the bundle holds a message signature, not a DSSE statement about an image";
  const envelope = bundle.content.dsseEnvelope;
  return readInTotoPayload(envelope.payloadType, envelope.payload);
}

export function coversDigest(subjects: unknown[], digest: string): boolean {
  const hex = digest.replace(/^sha256:/, "");
  return subjects.some(
    (s) => (s as { digest?: { sha256?: unknown } } | null)?.digest?.sha256 === hex,
  );
}

/** The statement a verified bundle holds, if it is about exactly this image digest. */
function statementFor(bundle: Bundle, signer: string, imageDigest: string): BundleCheck {
  const statement = parseStatement(bundle);
  if (typeof statement === "string")
    return { ok: false, code: "STATEMENT_INVALID", reason: statement };
  if (!coversDigest(statement.subjects, imageDigest)) {
    return {
      ok: false,
      code: "SUBJECT_MISMATCH",
      reason: `signed statement is about another image, not ${imageDigest}`,
    };
  }
  return {
    ok: true,
    statement: {
      signer,
      predicateType: statement.predicateType,
      predicate: statement.predicate,
      raw: statement.raw,
    },
  };
}

/**
 * Verifies one sigstore bundle found next to an image: a trusted key signed it (or a Fulcio
 * certificate for a trusted keyless identity, under the trusted root), the signature holds over
 * the statement, and the statement is about exactly this image digest (a bundle copied from
 * another image fails). Synchronous: all material is passed in. A bare array of keys is the
 * key-only form.
 */
export function checkBundle(
  json: unknown,
  trust: BundleTrust | readonly TrustedKey[],
  imageDigest: string,
): BundleCheck {
  const { keys, keyless }: BundleTrust = isKeyList(trust) ? { keys: trust } : trust;
  const excess = excessMaterial(json);
  if (excess !== undefined) return { ok: false, code: "BUNDLE_INVALID", reason: excess };
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    return {
      ok: false,
      code: "BUNDLE_INVALID",
      reason: `not a valid sigstore bundle (${errorMessage(err)})`,
    };
  }
  const material = bundle.verificationMaterial.content;
  if (material.$case !== "publicKey") {
    const check = checkKeyless(bundle, keyless);
    if (!check.ok) return check;
    return statementFor(bundle, check.signer, imageDigest);
  }
  const hint = material.publicKey.hint;
  const candidates = hint ? keys.filter((k) => keyHint(k) === hint) : keys;
  if (candidates.length === 0)
    return {
      ok: false,
      code: "UNTRUSTED_KEY",
      reason: `signed by an untrusted key (hint ${hint || "none"})`,
    };
  let failure = "";
  // Trust in a key does not rest on a log: entries the bundle carries are not checked (no log
  // key is configured for key signers), as cosign does with --insecure-ignore-tlog.
  const keyOnly: Bundle = {
    ...bundle,
    verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] },
  };
  for (const key of candidates) {
    try {
      new Verifier(keyTrust(key), {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      }).verify(toSignedEntity(keyOnly));
    } catch (err) {
      failure = errorMessage(err);
      continue;
    }
    return statementFor(bundle, key.id, imageDigest);
  }
  return {
    ok: false,
    code: "SIGNATURE_INVALID",
    reason: `signature does not verify with the trusted key (${failure})`,
  };
}

/**
 * Each log entry, timestamp and certificate is verified in turn: a bundle carrying more than any
 * real one does is refused before any of it is parsed or checked.
 */
function excessMaterial(json: unknown): string | undefined {
  const material = isRecord(json) ? json.verificationMaterial : undefined;
  if (!isRecord(material)) return undefined;
  const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
  const chain = isRecord(material.x509CertificateChain)
    ? material.x509CertificateChain.certificates
    : undefined;
  const timestamps = isRecord(material.timestampVerificationData)
    ? material.timestampVerificationData.rfc3161Timestamps
    : undefined;
  const over: [string, number, number][] = [
    ["transparency log entries", count(material.tlogEntries), LIMITS.maxTlogEntriesPerBundle],
    ["RFC 3161 timestamps", count(timestamps), LIMITS.maxTimestampsPerBundle],
    ["chain certificates", count(chain), LIMITS.maxCertificatesPerBundle],
  ];
  const found = over.find(([, n, max]) => n > max);
  return found && `the bundle carries ${found[1]} ${found[0]}, more than the ${found[2]} allowed`;
}

function isKeyList(trust: BundleTrust | readonly TrustedKey[]): trust is readonly TrustedKey[] {
  return Array.isArray(trust);
}
