import { errorMessage } from "../../policies/errors.ts";
import { judgeEvaluationStatement } from "../../policies/evaluation/facts.ts";
import { PREDICATE_TYPE } from "../../policies/evaluation/predicate.ts";
import type { ImageFacts } from "../../policies/workload/image-evidence.ts";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import { legacyTag, type RegistryClient } from "../registry/client.ts";
import { RegistryError } from "../registry/errors.ts";
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
/** Enough for any real signature; an attacker cannot make us read more than this per image. */
const MAX_CANDIDATES = 32;
const MAX_BUNDLE_BYTES = 1024 * 1024;
const BUNDLE_ARTIFACT_TYPES = new Set<string>([
  MEDIA_TYPES.sigstoreBundleV03,
  MEDIA_TYPES.ociEmpty,
]);

export interface GatherOptions {
  keys: readonly TrustedKey[];
  /** Keyless identities under a trusted root; without it, certificate-signed bundles are rejected. */
  keyless?: KeylessTrust;
  signal?: AbortSignal;
}

/** One signed thing found next to the image, checked; `kind` is what its manifest claims to be. */
interface Candidate {
  claims: "signature" | "evaluation" | "other";
  check: BundleCheck;
}

/** The layers of an image manifest; an index has none. */
function layersOf(manifest: Manifest | undefined): Descriptor[] {
  return manifest && !isIndex(manifest) ? manifest.layers : [];
}

function claimOf(predicateType: string | undefined): Candidate["claims"] {
  if (predicateType === PREDICATE_TYPE) return "evaluation";
  if (predicateType === undefined || predicateType === COSIGN_SIGN_PREDICATE) return "signature";
  return "other";
}

async function bundleCandidates(
  client: RegistryClient,
  repo: { registry: string; repository: string },
  digest: string,
  opts: GatherOptions,
): Promise<Candidate[]> {
  // Not filtered by the registry: some referrers APIs leave artifactType out, or report the
  // config's media type (the empty descriptor) instead. The bundle layer is checked on every
  // manifest anyway; bundles the registry did label come first.
  const descriptors = (await client.referrers(repo, digest, { signal: opts.signal }))
    .filter((d) => d.artifactType === undefined || BUNDLE_ARTIFACT_TYPES.has(d.artifactType))
    .sort(
      (a, b) =>
        Number(b.artifactType === MEDIA_TYPES.sigstoreBundleV03) -
        Number(a.artifactType === MEDIA_TYPES.sigstoreBundleV03),
    );
  const out: Candidate[] = [];
  for (const d of descriptors.slice(0, MAX_CANDIDATES)) {
    const claims = claimOf(d.annotations?.["dev.sigstore.bundle.predicateType"]);
    try {
      const manifest = await client.getManifest(repo, d.digest, { signal: opts.signal });
      const layer = layersOf(manifest.json).find(
        (l) => l.mediaType === MEDIA_TYPES.sigstoreBundleV03,
      );
      if (!layer) {
        out.push({
          claims,
          check: { ok: false, reason: `referrer ${d.digest} has no sigstore bundle layer` },
        });
        continue;
      }
      const bytes = await client.getBlob(repo, layer.digest, {
        maxBytes: MAX_BUNDLE_BYTES,
        signal: opts.signal,
      });
      const json: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
      const check = checkBundle(json, { keys: opts.keys, keyless: opts.keyless }, digest);
      out.push({
        claims: check.ok
          ? claimOf(check.statement.predicateType)
          : claimOf(manifest.json.annotations?.["dev.sigstore.bundle.predicateType"]),
        check,
      });
    } catch (err) {
      // One broken or hostile referrer must not hide the valid ones next to it.
      out.push({
        claims,
        check: { ok: false, reason: `referrer ${d.digest}: ${errorMessage(err)}` },
      });
    }
  }
  return out;
}

async function legacyCandidates(
  client: RegistryClient,
  repo: { registry: string; repository: string },
  digest: string,
  opts: GatherOptions,
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const suffix of [".sig", ".att"] as const) {
    const manifest = await client.findManifest(repo, legacyTag(digest, suffix), {
      signal: opts.signal,
    });
    for (const layer of layersOf(manifest?.json).slice(0, MAX_CANDIDATES)) {
      try {
        const bytes = Buffer.from(
          await client.getBlob(repo, layer.digest, {
            maxBytes: MAX_BUNDLE_BYTES,
            signal: opts.signal,
          }),
        );
        // A layer with a certificate was signed keyless; with a key, cosign attaches none.
        const keyless = hasLegacyCertificate(layer.annotations);
        if (layer.mediaType === MEDIA_TYPES.cosignSimpleSigning) {
          out.push({
            claims: "signature",
            check: keyless
              ? checkLegacyKeylessSignature(bytes, layer.annotations, opts.keyless, digest)
              : checkSimpleSigning(
                  bytes,
                  layer.annotations?.[SIGNATURE_ANNOTATION] ?? "",
                  opts.keys,
                  digest,
                ),
          });
        } else if (layer.mediaType === MEDIA_TYPES.dsseEnvelope) {
          const envelope: unknown = JSON.parse(bytes.toString("utf8"));
          const check = keyless
            ? checkLegacyKeylessEnvelope(envelope, layer.annotations, opts.keyless, digest)
            : checkLegacyEnvelope(envelope, opts.keys, digest);
          out.push({
            claims: claimOf(
              check.ok ? check.statement.predicateType : layer.annotations?.predicateType,
            ),
            check,
          });
        }
      } catch (err) {
        out.push({
          claims: suffix === ".sig" ? "signature" : "other",
          check: {
            ok: false,
            reason: `${legacyTag(digest, suffix)} layer ${layer.digest}: ${errorMessage(err)}`,
          },
        });
      }
    }
  }
  return out;
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
      const judged = judgeEvaluationStatement(statement.raw, digest, statement.signer);
      if ("evaluation" in judged) facts.verifiedEvaluations.push(judged.evaluation);
      else facts.rejectedEvaluations.push(judged.rejected);
    }
  }
  return facts;
}

/**
 * Everything the registry holds about one image, verified against the trusted keys and keyless
 * identities: sigstore bundles among its referrers (or in the fallback index) and cosign's legacy
 * `.sig`/`.att` tags (key-based, or keyless with the certificate and Rekor bundle annotations).
 * Never throws for the registry's sake: a failed lookup is a fact (`lookupError`) that denies.
 */
export async function gatherImageFacts(
  client: RegistryClient,
  reference: string,
  opts: GatherOptions,
): Promise<ImageFacts> {
  const empty = (lookupError: string): ImageFacts => ({
    lookupError,
    verifiedSignatures: [],
    rejectedSignatures: [],
    verifiedEvaluations: [],
    rejectedEvaluations: [],
  });
  const parsed = parseImageReference(reference);
  if (!parsed.ok) return empty(`invalid image reference: ${parsed.error}`);
  const repo = { registry: parsed.value.registry, repository: parsed.value.repository };
  try {
    const resolved = await client.resolve(parsed.value, { signal: opts.signal });
    const digest = parsed.value.digest ?? resolved.digest;
    const candidates = [
      ...(await bundleCandidates(client, repo, digest, opts)),
      ...(await legacyCandidates(client, repo, digest, opts)),
    ];
    return toFacts(digest, candidates);
  } catch (err) {
    if (err instanceof RegistryError || (err instanceof Error && err.name === "AbortError"))
      return empty(errorMessage(err));
    throw err;
  }
}
