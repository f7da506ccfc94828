import { setImmediate as yieldToLoop } from "node:timers/promises";
import { errorMessage } from "../../policies/errors.ts";
import { judgeEvaluationStatement } from "../../policies/evaluation/facts.ts";
import { PREDICATE_TYPE } from "../../policies/evaluation/predicate.ts";
import type { ImageFacts } from "../../policies/workload/image-evidence.ts";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import { legacyTag, type RegistryClient } from "../registry/client.ts";
import { jsonContainers } from "../registry/client.ts";
import { RegistryError } from "../registry/errors.ts";
import { LIMITS, quotable } from "../registry/limits.ts";
import { isIndex, MEDIA_TYPES, type Descriptor, type Manifest } from "../registry/types.ts";
import { checkBundle, type BundleCheck } from "./bundle-check.ts";
import type { KeylessTrust } from "./keyless.ts";
import { checkLegacyEnvelope, checkSimpleSigning } from "./legacy-check.ts";
import {
  checkLegacyKeylessEnvelope,
  checkLegacyKeylessSignature,
  hasLegacyCertificate,
} from "./legacy-keyless.ts";
import type { TrustedKey } from "./trusted-keys.ts";

export const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
const BUNDLE_ARTIFACT_TYPES = new Set<string>([
  MEDIA_TYPES.sigstoreBundleV03,
  MEDIA_TYPES.ociEmpty,
]);

export interface GatherOptions {
  keys: readonly TrustedKey[];
  /** Keyless identities under a trusted root; without it, certificate-signed bundles are rejected. */
  keyless?: KeylessTrust;
  signal?: AbortSignal;
  /** One deadline for the whole lookup (default LIMITS.lookupTimeoutMs), joined with `signal`. */
  timeoutMs?: number;
}

/** One signed thing found next to the image, checked; `kind` is what its manifest claims to be. */
interface Candidate {
  claims: "signature" | "evaluation" | "other";
  check: BundleCheck;
}

/** What one lookup has already fetched or checked: identical descriptors cost once. */
interface Lookup {
  client: RegistryClient;
  repo: { registry: string; repository: string };
  digest: string;
  trust: { keys: readonly TrustedKey[]; keyless?: KeylessTrust };
  signal: AbortSignal;
  /** Bundle blobs already checked. */
  bundles: Set<string>;
}

/** The layers of an image manifest; an index has none. */
function layersOf(manifest: Manifest | undefined): Descriptor[] {
  return manifest && !isIndex(manifest) ? manifest.layers : [];
}

/** Why something failed, short and printable: it may quote the registry. */
function message(err: unknown): string {
  if (err instanceof RegistryError) return quotable(err.message);
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError"))
    return "the lookup's deadline passed";
  // Not the registry client's own failure: still the registry's answer that caused it.
  return quotable(`unexpected answer: ${errorMessage(err)}`);
}

function claimOf(predicateType: string | undefined): Candidate["claims"] {
  if (predicateType === PREDICATE_TYPE) return "evaluation";
  if (predicateType === undefined || predicateType === COSIGN_SIGN_PREDICATE) return "signature";
  return "other";
}

function rejected(claims: Candidate["claims"], reason: string): Candidate {
  return { claims, check: { ok: false, reason: quotable(reason) } };
}

/** JSON from a registry blob, refusing documents whose parse would cost far more than their bytes. */
function parseJson(bytes: Uint8Array): unknown {
  const containers = jsonContainers(bytes);
  if (containers > LIMITS.maxJsonContainers)
    throw new Error(
      `holds about ${containers} JSON objects and arrays, more than the ${LIMITS.maxJsonContainers} allowed`,
    );
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Lets other admissions run between verifications, and stops when the deadline has passed. */
async function pause(signal: AbortSignal): Promise<void> {
  await yieldToLoop();
  signal.throwIfAborted();
}

async function bundleCandidates(l: Lookup): Promise<Candidate[]> {
  // Not filtered by the registry: some referrers APIs leave artifactType out, or report the
  // config's media type (the empty descriptor) instead. The bundle layer is checked on every
  // manifest anyway; bundles the registry did label come first.
  const listed = await l.client.referrers(l.repo, l.digest, { signal: l.signal });
  const seen = new Set<string>();
  const descriptors = listed
    .filter((d) => d.artifactType === undefined || BUNDLE_ARTIFACT_TYPES.has(d.artifactType))
    // The same manifest listed twice is fetched and checked once.
    .filter((d) => !seen.has(d.digest) && seen.add(d.digest))
    .sort(
      (a, b) =>
        Number(b.artifactType === MEDIA_TYPES.sigstoreBundleV03) -
        Number(a.artifactType === MEDIA_TYPES.sigstoreBundleV03),
    );
  const out: Candidate[] = [];
  for (const d of descriptors.slice(0, LIMITS.maxBundleCandidates)) {
    const claims = claimOf(d.annotations?.["dev.sigstore.bundle.predicateType"]);
    try {
      await pause(l.signal);
      const manifest = await l.client.getManifest(l.repo, d.digest, {
        signal: l.signal,
        maxBytes: LIMITS.maxEvidenceManifestBytes,
      });
      const layer = layersOf(manifest.json).find(
        (x) => x.mediaType === MEDIA_TYPES.sigstoreBundleV03,
      );
      if (!layer) {
        out.push(rejected(claims, `referrer ${d.digest} has no sigstore bundle layer`));
        continue;
      }
      // A bundle several referrers share is fetched, checked and counted once.
      if (l.bundles.has(layer.digest)) continue;
      l.bundles.add(layer.digest);
      const bytes = await l.client.getBlob(l.repo, layer.digest, {
        maxBytes: LIMITS.maxBundleBytes,
        signal: l.signal,
      });
      await pause(l.signal);
      let check = checkBundle(parseJson(bytes), l.trust, l.digest);
      if (!check.ok) check = { ...check, reason: quotable(check.reason) };
      out.push({
        claims: check.ok
          ? claimOf(check.statement.predicateType)
          : claimOf(manifest.json.annotations?.["dev.sigstore.bundle.predicateType"]),
        check,
      });
    } catch (err) {
      // One broken or hostile referrer must not hide the valid ones next to it.
      out.push(rejected(claims, `referrer ${d.digest}: ${message(err)}`));
    }
  }
  return out;
}

async function legacyCandidates(l: Lookup, suffix: ".sig" | ".att"): Promise<Candidate[]> {
  const tag = legacyTag(l.digest, suffix);
  const claimsByDefault = suffix === ".sig" ? "signature" : "other";
  let manifest;
  try {
    manifest = await l.client.findManifest(l.repo, tag, {
      signal: l.signal,
      maxBytes: LIMITS.maxEvidenceManifestBytes,
    });
  } catch (err) {
    // A tag anyone who can push may overwrite: what it holds is a rejected candidate, not a
    // failed lookup, so it cannot hide the evidence next to it. The registry failing is not.
    if (err instanceof RegistryError && CONTENT_FAILURES.has(err.code))
      return [rejected(claimsByDefault, `${tag}: ${message(err)}`)];
    throw err;
  }
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const layer of layersOf(manifest?.json).slice(0, LIMITS.maxLegacyLayersPerTag)) {
    // Identical layers (digest and annotations) are checked once.
    const key = `${layer.digest}\n${JSON.stringify(layer.annotations ?? {})}`;
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      await pause(l.signal);
      const blob = await l.client.getBlob(l.repo, layer.digest, {
        maxBytes: LIMITS.maxBundleBytes,
        signal: l.signal,
      });
      // A view, not a copy.
      const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
      await pause(l.signal);
      // A layer with a certificate was signed keyless; with a key, cosign attaches none.
      const keyless = hasLegacyCertificate(layer.annotations);
      if (layer.mediaType === MEDIA_TYPES.cosignSimpleSigning) {
        const check = keyless
          ? checkLegacyKeylessSignature(bytes, layer.annotations, l.trust.keyless, l.digest)
          : checkSimpleSigning(
              bytes,
              layer.annotations?.[SIGNATURE_ANNOTATION] ?? "",
              l.trust.keys,
              l.digest,
            );
        out.push(check.ok ? { claims: "signature", check } : rejected("signature", check.reason));
      } else if (layer.mediaType === MEDIA_TYPES.dsseEnvelope) {
        const envelope = parseJson(bytes);
        const check = keyless
          ? checkLegacyKeylessEnvelope(envelope, layer.annotations, l.trust.keyless, l.digest)
          : checkLegacyEnvelope(envelope, l.trust.keys, l.digest);
        const claims = claimOf(
          check.ok ? check.statement.predicateType : layer.annotations?.predicateType,
        );
        out.push(check.ok ? { claims, check } : rejected(claims, check.reason));
      }
    } catch (err) {
      out.push(rejected(claimsByDefault, `${tag} layer ${layer.digest}: ${message(err)}`));
    }
  }
  return out;
}

/** Failures that are about what a tag holds, not about reaching the registry. */
const CONTENT_FAILURES = new Set<string>(["PROTOCOL", "TOO_LARGE", "DIGEST_MISMATCH"]);

/** Keeps the first reasons and counts the rest: facts are cached, and end up in denials. */
function capReasons(list: { reason: string }[]): { reason: string }[] {
  if (list.length <= LIMITS.maxReasonsPerImage) return list;
  const kept = list.slice(0, LIMITS.maxReasonsPerImage - 1);
  kept.push({ reason: `and ${list.length - kept.length} more` });
  return kept;
}

function toFacts(digest: string, candidates: Candidate[]): ImageFacts {
  const facts: ImageFacts = {
    digest,
    verifiedSignatures: [],
    rejectedSignatures: [],
    verifiedEvaluations: [],
    rejectedEvaluations: [],
  };
  for (const { claims, check } of candidates) {
    if (!check.ok) {
      if (claims === "evaluation") facts.rejectedEvaluations.push({ reason: check.reason });
      else if (claims === "signature") facts.rejectedSignatures.push({ reason: check.reason });
      continue;
    }
    const { statement } = check;
    if (statement.predicateType === COSIGN_SIGN_PREDICATE) {
      facts.verifiedSignatures.push({ signer: statement.signer });
    } else if (statement.predicateType === PREDICATE_TYPE) {
      try {
        const judged = judgeEvaluationStatement(statement.raw, digest, statement.signer);
        if ("evaluation" in judged) facts.verifiedEvaluations.push(judged.evaluation);
        else facts.rejectedEvaluations.push({ reason: quotable(judged.rejected.reason) });
      } catch (err) {
        facts.rejectedEvaluations.push({ reason: `evaluation cannot be read: ${message(err)}` });
      }
    }
  }
  facts.rejectedSignatures = capReasons(facts.rejectedSignatures);
  facts.rejectedEvaluations = capReasons(facts.rejectedEvaluations);
  return facts;
}

/** Every signed thing found next to one image, checked; or why the image could not be resolved. */
async function collect(
  client: RegistryClient,
  reference: string,
  opts: GatherOptions,
): Promise<{ error: string } | { digest: string; candidates: Candidate[]; lookupError?: string }> {
  const parsed = parseImageReference(reference);
  if (!parsed.ok) return { error: `invalid image reference: ${quotable(parsed.error)}` };
  const repo = { registry: parsed.value.registry, repository: parsed.value.repository };
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? LIMITS.lookupTimeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  let digest: string;
  try {
    const resolved = await client.resolve(parsed.value, { signal });
    digest = parsed.value.digest ?? resolved.digest;
    // Signatures and evaluations name images by SHA-256.
    if (!digest.startsWith("sha256:"))
      return {
        error: `the registry resolved ${quotable(reference)} to ${quotable(digest)}, not a sha256 digest`,
      };
  } catch (err) {
    return { error: message(err) };
  }
  const l: Lookup = {
    client,
    repo,
    digest,
    trust: opts.keyless ? { keys: opts.keys, keyless: opts.keyless } : { keys: opts.keys },
    signal,
    bundles: new Set(),
  };
  const candidates: Candidate[] = [];
  const failures: string[] = [];
  for (const source of [
    () => bundleCandidates(l),
    () => legacyCandidates(l, ".sig"),
    () => legacyCandidates(l, ".att"),
  ]) {
    try {
      candidates.push(...(await source()));
    } catch (err) {
      const m = message(err);
      if (!failures.includes(m)) failures.push(m);
    }
  }
  // Checks cut short by the deadline are not a verdict on the image: say the lookup failed.
  if (signal.aborted) {
    const m = opts.signal?.aborted
      ? "the lookup was cancelled (the caller's deadline passed)"
      : `the lookup's ${opts.timeoutMs ?? LIMITS.lookupTimeoutMs} ms deadline passed`;
    if (!failures.includes(m)) failures.push(m);
  }
  return failures.length > 0
    ? {
        digest,
        candidates,
        lookupError: quotable(failures.join("; "), 2 * LIMITS.maxReasonChars),
      }
    : { digest, candidates };
}

/**
 * Everything the registry holds about one image, verified against the trusted keys and keyless
 * identities: sigstore bundles among its referrers (or in the fallback index) and cosign's legacy
 * `.sig`/`.att` tags (key-based, or keyless with the certificate and Rekor bundle annotations).
 *
 * Never throws: whatever the registry answers, a failed lookup is a fact (`lookupError`) that
 * denies. The three sources are read independently, so a broken one cannot hide valid evidence
 * in another (`lookupError` then says what failed, next to what verified). The whole lookup
 * runs under one deadline and within the counts and sizes of LIMITS.
 */
export async function gatherImageFacts(
  client: RegistryClient,
  reference: string,
  opts: GatherOptions,
): Promise<ImageFacts> {
  const found = await collect(client, reference, opts);
  if ("error" in found)
    return {
      lookupError: found.error,
      verifiedSignatures: [],
      rejectedSignatures: [],
      verifiedEvaluations: [],
      rejectedEvaluations: [],
    };
  const facts = toFacts(found.digest, found.candidates);
  if (found.lookupError !== undefined) facts.lookupError = found.lookupError;
  return facts;
}

/** The verified attestations of one predicate type attached to an image, found as above. */
export interface ImageAttestations {
  digest?: string;
  /** Statements signed by a trusted signer about this digest, as signed. */
  verified: { signer: string; statement: unknown }[];
  /** Why the lookup failed, wholly or in part. */
  lookupError?: string;
}

/**
 * The attestations of `predicateType` (an SBOM, ...) next to an image that verify against the
 * trusted keys and identities, found where {@link gatherImageFacts} looks. Never throws.
 */
export async function gatherAttestations(
  client: RegistryClient,
  reference: string,
  predicateType: string,
  opts: GatherOptions,
): Promise<ImageAttestations> {
  const found = await collect(client, reference, opts);
  if ("error" in found) return { verified: [], lookupError: found.error };
  const verified = found.candidates.flatMap(({ check }) =>
    check.ok && check.statement.predicateType === predicateType
      ? [{ signer: check.statement.signer, statement: check.statement.raw }]
      : [],
  );
  return {
    digest: found.digest,
    verified,
    ...(found.lookupError !== undefined ? { lookupError: found.lookupError } : {}),
  };
}
