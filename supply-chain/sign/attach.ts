import type { SerializedBundle } from "@sigstore/bundle";
import type { AttachedReferrer, RegistryClient, RepositoryRef } from "../registry/client.ts";
import {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  MEDIA_TYPES,
  descriptorOf,
  type Descriptor,
} from "../registry/types.ts";

/**
 * Attaches a sigstore bundle to an image as an OCI 1.1 referrer, in the layout cosign v3 writes
 * (empty config, one bundle layer, the predicate type in the annotations, the image as subject).
 * Registries without the referrers API get the `sha256-<hex>` fallback index, as cosign does.
 */
export async function attachBundle(
  client: RegistryClient,
  repo: RepositoryRef,
  subject: Descriptor,
  bundle: SerializedBundle,
  predicateType: string,
  now: Date,
): Promise<AttachedReferrer> {
  const bundleBytes = new TextEncoder().encode(JSON.stringify(bundle));
  const layer = descriptorOf(bundleBytes, MEDIA_TYPES.sigstoreBundleV03);
  await client.pushBlob(repo, EMPTY_JSON, MEDIA_TYPES.ociEmpty);
  await client.pushBlob(repo, bundleBytes, MEDIA_TYPES.sigstoreBundleV03);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: MEDIA_TYPES.sigstoreBundleV03,
    config: { ...EMPTY_DESCRIPTOR, artifactType: MEDIA_TYPES.sigstoreBundleV03 },
    layers: [layer],
    annotations: {
      "dev.sigstore.bundle.content": "dsse-envelope",
      "dev.sigstore.bundle.predicateType": predicateType,
      "org.opencontainers.image.created": now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    },
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  return client.attachReferrer(
    repo,
    new TextEncoder().encode(JSON.stringify(manifest)),
    MEDIA_TYPES.ociManifest,
  );
}
