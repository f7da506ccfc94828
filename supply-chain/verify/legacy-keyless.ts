/**
 * cosign v2's legacy keyless signatures and attestations: a `sha256-<hex>.sig` simple-signing
 * layer (or a `.att` DSSE envelope layer) whose annotations carry the Fulcio certificate and the
 * Rekor entry. The layer is rewritten as the sigstore bundle (v0.1: message signature or DSSE
 * envelope, the certificate, one tlog entry with its signed entry timestamp as inclusion promise)
 * that cosign would have written had it used the bundle format, and verified by `@sigstore/verify`
 * through the same keyless trust as bundle referrers: certificate chain to a trusted Fulcio CA at
 * the integrated time, SCTs, the SET against the trusted Rekor key, entry body against the
 * signature and digest, identity. Nothing the annotations say is trusted before that.
 */
import { createHash, X509Certificate } from "node:crypto";
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { errorMessage } from "../../policies/errors.ts";
import { isRecord } from "../../policies/guards.ts";
import { coversDigest, readInTotoPayload, type BundleCheck } from "./bundle-check.ts";
import { checkKeyless, type KeylessTrust } from "./keyless.ts";
import { readSimpleSigning } from "./legacy-check.ts";

export const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
export const CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
export const REKOR_BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";

const BUNDLE_V01_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.1";
const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

type Annotations = Readonly<Record<string, string>> | undefined;

/** Whether a legacy layer is keyless: cosign attaches the signing certificate to it. */
export function hasLegacyCertificate(annotations: Annotations): boolean {
  return typeof annotations?.[CERTIFICATE_ANNOTATION] === "string";
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** The DER of the first certificate in a PEM text, if it parses as X.509. */
function certificateDer(pem: string): Buffer | undefined {
  const match = PEM_CERTIFICATE.exec(pem);
  if (!match) return undefined;
  const der = Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
  try {
    new X509Certificate(der);
  } catch {
    return undefined;
  }
  return der;
}

/** `SubjectPublicKeyInfo` DER of a PEM public key, if the text is one. */
function publicKeyDer(pem: string): Buffer | undefined {
  const match = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(pem);
  return match ? Buffer.from(match[1]!.replace(/\s+/g, ""), "base64") : undefined;
}

/** cosign's Rekor bundle annotation: `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`. */
interface RekorBundle {
  set: string;
  body: string;
  integratedTime: number;
  logIndex: number;
  logIdHex: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function readRekorBundle(text: string): RekorBundle | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return "is not JSON";
  }
  if (!isRecord(json) || !isRecord(json.Payload)) return "has no Payload";
  const { SignedEntryTimestamp: set } = json;
  const { body, integratedTime, logIndex, logID } = json.Payload;
  if (typeof set !== "string" || !BASE64.test(set)) return "SignedEntryTimestamp is not base64";
  if (typeof body !== "string" || !BASE64.test(body)) return "Payload.body is not base64";
  if (
    typeof integratedTime !== "number" ||
    !Number.isSafeInteger(integratedTime) ||
    integratedTime <= 0
  )
    return "Payload.integratedTime is not a positive integer";
  if (typeof logIndex !== "number" || !Number.isSafeInteger(logIndex) || logIndex < 0)
    return "Payload.logIndex is not a non-negative integer";
  if (typeof logID !== "string" || !/^[0-9a-f]{64}$/.test(logID))
    return "Payload.logID is not a hex SHA-256";
  return { set, body, integratedTime, logIndex, logIdHex: logID };
}

/** What the entry body says signed it: base64 PEM texts, wherever the entry kind keeps them. */
function bodyVerifiers(body: Record<string, unknown>): unknown[] {
  const spec = isRecord(body.spec) ? body.spec : {};
  const at = (v: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), v);
  switch (`${String(body.kind)}/${String(body.apiVersion)}`) {
    case "hashedrekord/0.0.1":
      return [at(spec, "signature", "publicKey", "content")];
    case "intoto/0.0.1":
      return [spec.publicKey];
    case "intoto/0.0.2": {
      const sigs = at(spec, "content", "envelope", "signatures");
      return Array.isArray(sigs) ? sigs.map((s) => at(s, "publicKey")) : [];
    }
    case "dsse/0.0.1": {
      const sigs = spec.signatures;
      return Array.isArray(sigs) ? sigs.map((s) => at(s, "verifier")) : [];
    }
    default:
      return [];
  }
}

/**
 * The log entry must name the certificate the signature is checked with (cosign compares them
 * too): `@sigstore/verify` matches the entry's signature and digest, not its verifier.
 */
function entryNamesCertificate(body: Record<string, unknown>, der: Buffer): boolean {
  const spki = new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
  return bodyVerifiers(body).some((v) => {
    if (typeof v !== "string") return false;
    const pem = Buffer.from(v, "base64").toString("utf8");
    const cert = certificateDer(pem);
    if (cert) return cert.equals(der);
    const key = publicKeyDer(pem);
    return key !== undefined && key.equals(spki);
  });
}

type Content =
  | {
      messageSignature: {
        messageDigest: { algorithm: "SHA2_256"; digest: string };
        signature: string;
      };
    }
  | {
      dsseEnvelope: {
        payload: string;
        payloadType: string;
        signatures: { sig: string; keyid: string }[];
      };
    };

interface Converted {
  bundle: Bundle;
  certificate: Buffer;
  /** The logged entry body, when there is one, for the certificate comparison. */
  body?: Record<string, unknown>;
}

function fail(
  code: NonNullable<Extract<BundleCheck, { ok: false }>["code"]>,
  reason: string,
): BundleCheck {
  return { ok: false, code, reason };
}

/** Builds the sigstore bundle equivalent of a legacy layer; a BundleCheck says why it cannot. */
function toBundle(
  what: string,
  content: Content,
  annotations: Annotations,
): Converted | BundleCheck {
  const certificate = certificateDer(annotations?.[CERTIFICATE_ANNOTATION] ?? "");
  if (!certificate)
    return fail(
      "BUNDLE_INVALID",
      `${what}: the ${CERTIFICATE_ANNOTATION} annotation is not a PEM certificate`,
    );
  const tlogEntries: unknown[] = [];
  let body: Record<string, unknown> | undefined;
  const rekorText = annotations?.[REKOR_BUNDLE_ANNOTATION];
  if (rekorText !== undefined) {
    const rekor = readRekorBundle(rekorText);
    if (typeof rekor === "string")
      return fail("TLOG_INVALID", `${what}: the ${REKOR_BUNDLE_ANNOTATION} annotation ${rekor}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(rekor.body, "base64").toString("utf8"));
    } catch {
      parsed = undefined;
    }
    if (
      !isRecord(parsed) ||
      typeof parsed.kind !== "string" ||
      typeof parsed.apiVersion !== "string"
    )
      return fail("TLOG_INVALID", `${what}: the Rekor entry body is not a Rekor entry`);
    body = parsed;
    tlogEntries.push({
      logIndex: String(rekor.logIndex),
      logId: { keyId: Buffer.from(rekor.logIdHex, "hex").toString("base64") },
      kindVersion: { kind: parsed.kind, version: parsed.apiVersion },
      integratedTime: String(rekor.integratedTime),
      inclusionPromise: { signedEntryTimestamp: rekor.set },
      canonicalizedBody: rekor.body,
    });
  }
  try {
    const bundle = bundleFromJSON({
      mediaType: BUNDLE_V01_MEDIA_TYPE,
      verificationMaterial: {
        // Only the leaf: intermediates and roots come from the trusted root, never from the
        // layer's chain annotation.
        x509CertificateChain: { certificates: [{ rawBytes: certificate.toString("base64") }] },
        tlogEntries,
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      ...content,
    });
    return body === undefined ? { bundle, certificate } : { bundle, certificate, body };
  } catch (err) {
    return fail(
      "BUNDLE_INVALID",
      `${what} cannot be read as a sigstore bundle (${errorMessage(err)})`,
    );
  }
}

function isCheck(v: Converted | BundleCheck): v is BundleCheck {
  return "ok" in v;
}

/** Verifies the converted bundle; on success, the signer (`keyless:<issuer>:<subject>`). */
function verifyConverted(
  what: string,
  converted: Converted,
  trust: KeylessTrust | undefined,
  artifact?: Buffer,
): { signer: string } | BundleCheck {
  const check = checkKeyless(converted.bundle, trust, artifact);
  if (!check.ok) return fail(check.code, `${what}: ${check.reason}`);
  if (converted.body && !entryNamesCertificate(converted.body, converted.certificate))
    return fail(
      "TLOG_INVALID",
      `${what}: the Rekor entry was made with another certificate or key`,
    );
  return { signer: check.signer };
}

/**
 * A cosign v2 keyless `.sig` layer: the simple-signing payload (the layer's bytes), the base64
 * signature from `dev.cosignproject.cosign/signature`, the certificate and Rekor bundle from the
 * annotations. The payload must name exactly this image digest.
 */
export function checkLegacyKeylessSignature(
  payload: Buffer,
  annotations: Annotations,
  trust: KeylessTrust | undefined,
  imageDigest: string,
): BundleCheck {
  const what = "legacy keyless signature";
  if (!trust || trust.identities.length === 0)
    return fail(
      "NO_KEYLESS_TRUST",
      `${what}: signed with a certificate (keyless); no keyless signer is configured in this verifier`,
    );
  const signature = annotations?.["dev.cosignproject.cosign/signature"] ?? "";
  if (!BASE64.test(signature)) return fail("BUNDLE_INVALID", `${what} has no base64 signature`);
  const converted = toBundle(
    what,
    {
      messageSignature: {
        // Computed here, never read from the layer: the log entry's digest is compared with it.
        messageDigest: {
          algorithm: "SHA2_256",
          digest: createHash("sha256").update(payload).digest("base64"),
        },
        signature,
      },
    },
    annotations,
  );
  if (isCheck(converted)) return converted;
  const verified = verifyConverted(what, converted, trust, payload);
  if ("ok" in verified) return verified;
  const read = readSimpleSigning(payload, imageDigest);
  if (!read.ok) return read;
  return {
    ok: true,
    statement: {
      signer: verified.signer,
      predicateType: COSIGN_SIGN_PREDICATE,
      predicate: {},
      raw: read.body,
    },
  };
}

/** A cosign v2 keyless `.att` layer: a DSSE envelope (JSON) plus the same annotations. */
export function checkLegacyKeylessEnvelope(
  envelope: unknown,
  annotations: Annotations,
  trust: KeylessTrust | undefined,
  imageDigest: string,
): BundleCheck {
  const what = "legacy keyless attestation";
  if (!trust || trust.identities.length === 0)
    return fail(
      "NO_KEYLESS_TRUST",
      `${what}: signed with a certificate (keyless); no keyless signer is configured in this verifier`,
    );
  const e = isRecord(envelope) ? envelope : {};
  const sigs = Array.isArray(e.signatures) ? e.signatures : [];
  const sig = isRecord(sigs[0]) ? sigs[0].sig : undefined;
  if (
    typeof e.payloadType !== "string" ||
    typeof e.payload !== "string" ||
    sigs.length !== 1 ||
    typeof sig !== "string"
  )
    return fail("BUNDLE_INVALID", `${what} is not a DSSE envelope with one signature`);
  const converted = toBundle(
    what,
    {
      dsseEnvelope: {
        payload: e.payload,
        payloadType: e.payloadType,
        signatures: [{ sig, keyid: "" }],
      },
    },
    annotations,
  );
  if (isCheck(converted)) return converted;
  const verified = verifyConverted(what, converted, trust);
  if ("ok" in verified) return verified;
  const statement = readInTotoPayload(e.payloadType, Buffer.from(e.payload, "base64"));
  if (typeof statement === "string") return fail("STATEMENT_INVALID", `${what}: ${statement}`);
  if (!coversDigest(statement.subjects, imageDigest))
    return fail("SUBJECT_MISMATCH", `${what} is about another image, not ${imageDigest}`);
  return {
    ok: true,
    statement: {
      signer: verified.signer,
      predicateType: statement.predicateType,
      predicate: statement.predicate,
      raw: statement.raw,
    },
  };
}
