/** The OCI registry client: see client.ts for operations, auth.ts and credentials.ts for auth. */
export { RegistryClient, DEFAULTS, legacyTag, referrersTag } from "./client.ts";
export type {
  AttachedReferrer,
  CallOptions,
  FetchedManifest,
  PushedManifest,
  RegistryClientOptions,
  RepositoryRef,
} from "./client.ts";
export {
  chainCredentials,
  fromDockerConfig,
  fromPullSecrets,
  normalizeRegistryHost,
  staticCredentials,
} from "./credentials.ts";
export type { Credential, CredentialSource } from "./credentials.ts";
export { RegistryError, isRegistryError } from "./errors.ts";
export type { RegistryErrorCode } from "./errors.ts";
export {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MEDIA_TYPES,
  artifactTypeOf,
  descriptorOf,
  digestOf,
  isIndex,
  parseDigest,
  parseManifest,
} from "./types.ts";
export type { Descriptor, ImageIndex, ImageManifest, Manifest, Platform } from "./types.ts";
