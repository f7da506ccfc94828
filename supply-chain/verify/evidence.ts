import type { ImageEvidence } from "../../policies/workload/image-evidence.ts";
import type { CompiledPolicy } from "../../policies/workload/policy.ts";
import type { RegistryClient } from "../registry/client.ts";
import type { CredentialSource } from "../registry/credentials.ts";
import { FactsCache, type FactsCacheOptions } from "./facts-cache.ts";
import { gatherImageFacts } from "./gather.ts";
import type { TrustMaterial } from "@sigstore/verify";
import { trustFrom, type KeylessTrust } from "./keyless.ts";
import { trustedKeys, type TrustedKey } from "./trusted-keys.ts";

/** Credentials for one request (a pod's pull secrets), with an id that changes when they do. */
export interface RequestCredentials {
  id: string;
  source: CredentialSource;
}

/** Registry facts for a set of images under a policy, as the engine's `ImageEvidence`. */
export type EvidenceProvider = (
  references: readonly string[],
  policy: CompiledPolicy,
  signal?: AbortSignal,
  credentials?: RequestCredentials,
) => Promise<ImageEvidence>;

/** Policies and credential sets seen recently; each is prepared once. */
const MAX_POLICIES = 16;
const MAX_CLIENTS = 256;

export interface RegistryEvidence {
  provide: EvidenceProvider;
  cache: FactsCache;
}

interface Scope {
  trust: { keys: TrustedKey[]; keyless?: KeylessTrust };
  client: RegistryClient;
}

/**
 * Evidence from the registry: each image's signatures and evaluations, verified against the
 * policy's trusted signers, cached per image, policy digest and credential set. `makeClient`
 * gives a registry client for a request's credentials (none: the default ones).
 */
export function registryEvidence(
  makeClient: (credentials?: CredentialSource) => RegistryClient,
  opts: {
    cache?: Partial<FactsCacheOptions>;
    /** Loaded and checked where it is configured (`usableTrustedRoot`). */
    trustedRoot?: TrustMaterial | undefined;
  } = {},
): RegistryEvidence {
  const trustByPolicy = new Map<string, Scope["trust"]>();
  const clients = new Map<string, RegistryClient>();
  const scopes = new Map<string, Scope>();
  const cache = new FactsCache((reference, scopeKey, signal) => {
    const scope = scopes.get(scopeKey);
    if (!scope) throw new Error(`no verification scope ${scopeKey}`);
    return gatherImageFacts(scope.client, reference, { ...scope.trust, signal });
  }, opts.cache);

  const trustFor = (policy: CompiledPolicy) => {
    let trust = trustByPolicy.get(policy.digest);
    if (!trust) {
      if (trustByPolicy.size >= MAX_POLICIES) trustByPolicy.clear();
      const keyless =
        opts.trustedRoot !== undefined && policy.keylessIdentities.length > 0
          ? trustFrom(opts.trustedRoot, policy.keylessIdentities)
          : undefined;
      trust = { keys: trustedKeys(policy.trustedSigners), ...(keyless ? { keyless } : {}) };
      trustByPolicy.set(policy.digest, trust);
    }
    return trust;
  };
  const clientFor = (credentials?: RequestCredentials) => {
    const id = credentials?.id ?? "";
    let client = clients.get(id);
    if (!client) {
      if (clients.size >= MAX_CLIENTS) clients.clear();
      client = makeClient(credentials?.source);
      clients.set(id, client);
    }
    return client;
  };

  const provide: EvidenceProvider = async (references, policy, signal, credentials) => {
    // What a registry shows depends on who asks: results are kept per credential set too.
    const scopeKey = `${policy.digest}|${credentials?.id ?? ""}`;
    if (!scopes.has(scopeKey)) {
      if (scopes.size >= MAX_CLIENTS) scopes.clear();
      scopes.set(scopeKey, { trust: trustFor(policy), client: clientFor(credentials) });
    }
    const unique = [...new Set(references)];
    const facts = await Promise.all(unique.map((r) => cache.get(r, scopeKey, signal)));
    const byReference = new Map(unique.map((r, i) => [r, facts[i]]));
    return { forImage: (reference) => byReference.get(reference) };
  };
  return { provide, cache };
}
