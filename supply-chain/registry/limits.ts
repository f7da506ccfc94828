/**
 * Every bound on what a registry lookup may cost, in one place. A registry (or whoever can push
 * to an image's repository) decides what it answers; these numbers decide how much of it we read,
 * keep and verify, so that no answer can take the webhook past its memory limit, block its event
 * loop, or outlast an admission. docs/registry-threat-model.md explains each one.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMITS = Object.freeze({
  // --- time ---------------------------------------------------------------------------------
  /** One registry operation (retries and redirects included), unless the client is told otherwise. */
  callTimeoutMs: 5000,
  /** One image's whole lookup: resolve, referrers, every manifest and blob, every check. */
  lookupTimeoutMs: 30_000,
  /**
   * At admission, the part of the admission deadline the lookups may use: they must end (and
   * deny through image/*) before the admission itself times out as `admission/error`.
   */
  lookupShareOfAdmissionDeadline: 0.8,
  /** Further attempts after a network error, 5xx or 429. */
  retries: 2,
  maxRedirects: 5,

  // --- bytes (counted while streaming: the read stops at the cap) ------------------------------
  /** An image's own manifest or index: the distribution spec's minimum a registry must accept. */
  maxManifestBytes: 4 * MiB,
  /** A referrers page, the `sha256-<hex>` fallback index, a referrer or legacy `.sig`/`.att` manifest. */
  maxEvidenceManifestBytes: 1 * MiB,
  /** Any blob read without a smaller cap of its own. */
  maxBlobBytes: 16 * MiB,
  /** One sigstore bundle, or one legacy layer (simple-signing payload, DSSE envelope). */
  maxBundleBytes: 1 * MiB,
  /** A registry's error body, read only to quote its error codes. */
  maxErrorBodyBytes: 8 * KiB,
  /** A token service's answer, and the token in it. */
  maxTokenResponseBytes: 64 * KiB,
  maxTokenBytes: 8 * KiB,

  // --- counts ---------------------------------------------------------------------------------
  /** Objects and arrays in one JSON document, counted on the bytes before parsing them. */
  maxJsonContainers: 16 * 1024,
  /** Entries of an index (`manifests`) or layers of a manifest. */
  maxDescriptorsPerManifest: 1024,
  /** Annotations on one manifest or descriptor, and in one manifest or index in all. */
  maxAnnotations: 128,
  maxAnnotationsPerManifest: 4096,
  /** Field problems kept when a manifest is invalid (the rest are counted, not listed). */
  maxProblemsReported: 20,
  /** Pages of the referrers API followed for one subject. */
  maxReferrersPages: 16,
  /** Referrers kept for one subject, over all pages. */
  maxReferrers: 1024,
  /** Referrer manifests (bundles) fetched and checked per image. */
  maxBundleCandidates: 32,
  /** Layers of one legacy `.sig` or `.att` manifest fetched and checked. */
  maxLegacyLayersPerTag: 32,
  /** Signatures in one DSSE envelope (each is verified over the whole payload). */
  maxSignaturesPerEnvelope: 4,
  /** Transparency-log entries, RFC 3161 timestamps and chain certificates in one bundle. */
  maxTlogEntriesPerBundle: 4,
  maxTimestampsPerBundle: 4,
  maxCertificatesPerBundle: 10,
  /**
   * Image lookups running at once in one process, and against one registry; the others wait
   * (inside their deadline). The per-registry share keeps a slow registry from holding them all.
   */
  maxConcurrentLookups: 8,
  maxConcurrentLookupsPerRegistry: 2,
  /** Rejection reasons kept per image (the rest are counted), and characters per reason. */
  maxReasonsPerImage: 8,
  maxReasonChars: 300,
  /** Bearer tokens and registry challenges remembered by one client. */
  maxCachedTokens: 128,
  maxRememberedChallenges: 256,
});

/**
 * Registry-supplied text made safe to quote in an error or a denial: control characters (and
 * invisible or direction-changing format characters) become spaces, runs of whitespace one space, and the result is cut at `max` characters.
 */
export function quotable(text: string, max: number = LIMITS.maxReasonChars): string {
  // Only the part that can be shown is cleaned: the text may be megabytes long.
  const head = text.slice(0, max * 2);
  const clean = head
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g, " ")
    .replace(/\s+/g, " ");
  return clean.length <= max && head.length === text.length ? clean : `${clean.slice(0, max - 1)}…`;
}
