import { verify } from "node:crypto";
import {
  coversDigest,
  readInTotoPayload,
  type BundleCheck,
  type BundleCheckCode,
} from "./bundle-check.ts";
import { LIMITS } from "../registry/limits.ts";
import type { TrustedKey } from "./trusted-keys.ts";

/** The DSSE pre-authentication encoding the signature covers. */
function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

function signedBy(
  data: Buffer,
  signature: Buffer,
  keys: readonly TrustedKey[],
): TrustedKey | undefined {
  return keys.find((k) => {
    try {
      return verify("sha256", data, k.key, signature);
    } catch {
      return false;
    }
  });
}

export const SIMPLE_SIGNING_TYPE = "cosign container image signature";

/** A simple-signing payload (`critical.image.docker-manifest-digest`, `critical.type`). */
export interface SimpleSigning {
  critical: {
    identity?: { "docker-reference"?: unknown };
    image: { "docker-manifest-digest": string };
    type: string;
  };
  optional?: unknown;
}

/**
 * Reads a cosign simple-signing payload and checks it names exactly this image digest; on
 * failure, why (`SUBJECT_MISMATCH` when it is about another image).
 */
export function readSimpleSigning(
  payload: Buffer,
  imageDigest: string,
): { ok: true; body: SimpleSigning } | { ok: false; code: BundleCheckCode; reason: string } {
  let body: { critical?: { image?: { "docker-manifest-digest"?: unknown }; type?: unknown } };
  try {
    body = JSON.parse(payload.toString("utf8")) as typeof body;
  } catch {
    return { ok: false, code: "STATEMENT_INVALID", reason: "legacy signature payload is not JSON" };
  }
  if (body?.critical?.type !== SIMPLE_SIGNING_TYPE) {
    return {
      ok: false,
      code: "STATEMENT_INVALID",
      reason: `legacy signature payload is not a "${SIMPLE_SIGNING_TYPE}"`,
    };
  }
  if (body.critical.image?.["docker-manifest-digest"] !== imageDigest) {
    return {
      ok: false,
      code: "SUBJECT_MISMATCH",
      reason: `legacy signature is about another image, not ${imageDigest}`,
    };
  }
  return { ok: true, body: body as SimpleSigning };
}

/**
 * A cosign v2 `.sig` layer: a simple-signing payload and the base64 signature from the layer's
 * `dev.cosignproject.cosign/signature` annotation. The payload must name exactly this digest.
 */
export function checkSimpleSigning(
  payload: Buffer,
  signatureBase64: string,
  keys: readonly TrustedKey[],
  imageDigest: string,
): BundleCheck {
  const key = signedBy(payload, Buffer.from(signatureBase64, "base64"), keys);
  if (!key) return { ok: false, reason: "legacy signature is not from a trusted key" };
  const read = readSimpleSigning(payload, imageDigest);
  if (!read.ok) return read;
  return {
    ok: true,
    statement: {
      signer: key.id,
      predicateType: "https://sigstore.dev/cosign/sign/v1",
      predicate: {},
      raw: read.body,
    },
  };
}

/** A cosign v2 `.att` layer: a DSSE envelope (JSON) around an in-toto statement. */
export function checkLegacyEnvelope(
  envelope: unknown,
  keys: readonly TrustedKey[],
  imageDigest: string,
): BundleCheck {
  const e = envelope as { payloadType?: unknown; payload?: unknown; signatures?: unknown } | null;
  if (
    typeof e?.payloadType !== "string" ||
    typeof e.payload !== "string" ||
    !Array.isArray(e.signatures)
  ) {
    return { ok: false, reason: "legacy attestation is not a DSSE envelope" };
  }
  // Each signature is verified over the whole payload: their number bounds the work.
  if (e.signatures.length > LIMITS.maxSignaturesPerEnvelope)
    return {
      ok: false,
      reason: `legacy attestation carries ${e.signatures.length} signatures, more than the ${LIMITS.maxSignaturesPerEnvelope} allowed`,
    };
  const payload = Buffer.from(e.payload, "base64");
  const data = pae(e.payloadType, payload);
  const sigs = new Set(
    e.signatures
      .map((s) => (s as { sig?: unknown } | null)?.sig)
      .filter((sig): sig is string => typeof sig === "string" && sig !== ""),
  );
  const key = [...sigs]
    .map((sig) => signedBy(data, Buffer.from(sig, "base64"), keys))
    .find((k) => k !== undefined);
  if (!key) return { ok: false, reason: "legacy attestation is not signed by a trusted key" };
  const statement = readInTotoPayload(e.payloadType, payload);
  if (typeof statement === "string") return { ok: false, reason: statement };
  if (!coversDigest(statement.subjects, imageDigest)) {
    return { ok: false, reason: `legacy attestation is about another image, not ${imageDigest}` };
  }
  return {
    ok: true,
    statement: {
      signer: key.id,
      predicateType: statement.predicateType,
      predicate: statement.predicate,
      raw: statement.raw,
    },
  };
}
