import type { ImageEvidence } from "../../policies/image-evidence.ts";
import type { CompiledPolicy } from "../../policies/policy.ts";
import type { RegistryClient } from "../registry/client.ts";
import { FactsCache, type FactsCacheOptions } from "./facts-cache.ts";
import { gatherImageFacts } from "./gather.ts";
import { keylessTrust, type KeylessTrust } from "./keyless.ts";
import { trustedKeys, type TrustedKey } from "./trusted-keys.ts";

/** Registry facts for a set of images under a policy, as the engine's `ImageEvidence`. */
export type EvidenceProvider = (
  references: readonly string[],
  policy: CompiledPolicy,
  signal?: AbortSignal,
) => Promise<ImageEvidence>;

/** Policies seen recently; their keys are parsed once. */
const MAX_POLICIES = 16;

export interface RegistryEvidence {
  provide: EvidenceProvider;
  cache: FactsCache;
}

/**
 * Evidence from the registry: each image's signatures and evaluations, verified against the
 * policy's trusted signers, cached per image and policy digest.
 */
export function registryEvidence(
  client: RegistryClient,
  opts: { cache?: Partial<FactsCacheOptions>; trustedRoot?: unknown } = {},
): RegistryEvidence {
  const trustByPolicy = new Map<string, { keys: TrustedKey[]; keyless?: KeylessTrust }>();
  const cache = new FactsCache(
    (reference, policyDigest, signal) =>
      gatherImageFacts(client, reference, { keys: [], ...trustByPolicy.get(policyDigest), signal }),
    opts.cache,
  );
  const provide: EvidenceProvider = async (references, policy, signal) => {
    if (!trustByPolicy.has(policy.digest)) {
      if (trustByPolicy.size >= MAX_POLICIES) trustByPolicy.clear();
      const keyless =
        opts.trustedRoot !== undefined && policy.trustedSigners.some((s) => s.keyless)
          ? keylessTrust(opts.trustedRoot, policy.trustedSigners)
          : undefined;
      trustByPolicy.set(policy.digest, {
        keys: trustedKeys(policy.trustedSigners),
        ...(keyless ? { keyless } : {}),
      });
    }
    const unique = [...new Set(references)];
    const facts = await Promise.all(unique.map((r) => cache.get(r, policy.digest, signal)));
    const byReference = new Map(unique.map((r, i) => [r, facts[i]]));
    return { forImage: (reference) => byReference.get(reference) };
  };
  return { provide, cache };
}
