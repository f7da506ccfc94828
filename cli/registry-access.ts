import { RegistryClient } from "../supply-chain/registry/client.ts";
import { registryEvidence, type RegistryEvidence } from "../supply-chain/verify/evidence.ts";
import {
  obtainTrustedRoot,
  readRegistryConfig,
  type TrustedRootSource,
} from "./registry-config.ts";

/** How the CLI reaches registries: `--registry-config`, `--insecure-registry`, `--registry-timeout`. */
export interface RegistryAccess {
  registryConfig: string | undefined;
  /** A sigstore trusted root (JSON) for keyless signers: a file, or a TUF repository. */
  trustedRoot: TrustedRootSource;
  insecureRegistries: string[];
  timeoutMs: number;
}

export const REGISTRY_OPTIONS = {
  "registry-config": { type: "string" },
  "insecure-registry": { type: "string", multiple: true, default: [] as string[] },
  "registry-timeout": { type: "string", default: "10000" },
  "trusted-root": { type: "string" },
  "tuf-mirror": { type: "string" },
  "tuf-root": { type: "string" },
  "tuf-cache": { type: "string" },
} as const;

/** A registry client with the credentials of `--registry-config` and the insecure registries. */
export async function registryClient(access: RegistryAccess): Promise<RegistryClient> {
  const credentials = access.registryConfig
    ? await readRegistryConfig(access.registryConfig)
    : undefined;
  return new RegistryClient({
    credentials,
    insecure: access.insecureRegistries,
    timeoutMs: access.timeoutMs,
  });
}

export async function evidenceFor(access: RegistryAccess): Promise<RegistryEvidence> {
  const client = await registryClient(access);
  const trustedRoot = await obtainTrustedRoot(access.trustedRoot);
  // `--registry-timeout` is one deadline for each image's whole lookup, not for each call.
  return registryEvidence(() => client, { trustedRoot, lookupTimeoutMs: access.timeoutMs });
}
